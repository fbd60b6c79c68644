import { describe, expect, it } from 'vitest';
import { errorsOf, validateYaml } from './test-utils';

const filter = (patches: string, extra = '') => `
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: tune, namespace: default}
spec:
${extra}  configPatches:
${patches}`;

const mergeCluster = `
  - applyTo: CLUSTER
    match: {context: SIDECAR_OUTBOUND, cluster: {name: "outbound|9080||reviews.default.svc.cluster.local"}}
    patch: {operation: MERGE, value: {connect_timeout: 2s}}`;

describe('EnvoyFilter', () => {
  it('accepts a cluster MERGE matched by name, with a workloadSelector and priority', () => {
    const result = validateYaml(filter(mergeCluster, '  workloadSelector: {labels: {istio: ingressgateway}}\n  priority: 10\n'));
    expect(errorsOf(result)).toEqual([]);
  });

  it('accepts every HTTP filter operation with the filter named where it needs one', () => {
    const ops = ['MERGE', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER'].map((op) => `
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.fault}}}}}
    patch: {operation: ${op}${op === 'REMOVE' ? '' : op === 'MERGE' ? ', value: {typed_config: {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", max_active_faults: 1}}' : ', value: {name: envoy.filters.http.buffer}'}}`);
    const positional = ['ADD', 'INSERT_FIRST'].map((op) => `
  - applyTo: HTTP_FILTER
    patch: {operation: ${op}, value: {name: envoy.filters.http.buffer}}`);
    expect(errorsOf(validateYaml(filter([...ops, ...positional].join(''))))).toEqual([]);
  });

  it('refuses targets, operations, contexts and matches it does not support, naming each field', () => {
    const yaml = filter(`
  - applyTo: NETWORK_FILTER
    patch: {operation: MERGE, value: {}}
  - applyTo: CLUSTER
    match: {context: SIDECAR_INBOUND, proxy: {proxyVersion: "^1\\\\.2.*"}, cluster: {portNumber: 9080}}
    patch: {operation: REPLACE, value: {}}
  - applyTo: ROUTE_CONFIGURATION
    match: {listener: {name: x}}
    patch: {operation: REMOVE}`, '  targetRefs: [{kind: Gateway, name: x}]\n');
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.configPatches[0].applyTo', message: 'applyTo NETWORK_FILTER is not supported yet; supported: CLUSTER, LISTENER, ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_FILTER' },
      { path: 'spec.configPatches[1].match.context', message: 'context SIDECAR_INBOUND is not supported yet; supported: ANY, SIDECAR_OUTBOUND, GATEWAY' },
      { path: 'spec.configPatches[1].match.cluster.portNumber', message: expect.stringContaining('not support yet') },
      { path: 'spec.configPatches[1].match.proxy', message: expect.stringContaining('not support yet') },
      { path: 'spec.configPatches[1].patch.operation', message: 'operation REPLACE is not supported yet; supported: MERGE, ADD, REMOVE, INSERT_BEFORE, INSERT_AFTER, INSERT_FIRST' },
      { path: 'spec.configPatches[2].match.listener', message: 'does not apply to ROUTE_CONFIGURATION; a ROUTE_CONFIGURATION patch matches with match.routeConfiguration' },
      { path: 'spec.configPatches[2].patch.operation', message: 'REMOVE does not apply to ROUTE_CONFIGURATION; use one of MERGE' },
      { path: 'spec.targetRefs', message: expect.stringContaining('not support yet') },
    ]);
  });

  it('refuses values that cannot work: missing, null, renaming, nameless additions, a REMOVE with a value', () => {
    const yaml = filter(`
  - applyTo: CLUSTER
    patch: {operation: MERGE}
  - applyTo: CLUSTER
    match: {cluster: {name: a}}
    patch: {operation: MERGE, value: {name: b, circuit_breakers: {thresholds: [null]}}}
  - applyTo: LISTENER
    patch: {operation: ADD, value: {"@type": x}}
  - applyTo: VIRTUAL_HOST
    patch: {operation: REMOVE, value: {name: x}}`);
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.configPatches[0].patch.value', message: 'required for MERGE: the cluster in proto3 JSON' },
      { path: 'spec.configPatches[1].patch.value.circuit_breakers.thresholds[0]', message: 'null cannot be patched in (proto3 JSON null means unset); leave the field out, or REMOVE' },
      { path: 'spec.configPatches[1].patch.value.name', message: 'a MERGE cannot rename what it patches (references to the name would break); match it by name instead' },
      { path: 'spec.configPatches[2].patch.value["@type"]', message: 'the value is the LISTENER itself, without "@type"' },
      { path: 'spec.configPatches[2].patch.value.name', message: 'required for ADD: the name of the new listener' },
      { path: 'spec.configPatches[3].patch.value', message: 'REMOVE takes no value' },
    ]);
  });

  it('keeps the router last and asks for the HTTP filter a patch is placed against', () => {
    const hcm = (sub: string) => `{listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy${sub}}}}}`;
    const yaml = filter(`
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {subFilter: {name: envoy.filters.http.router}}}}}
    patch: {operation: INSERT_AFTER, value: {name: x}}
  - applyTo: HTTP_FILTER
    match: ${hcm('')}
    patch: {operation: REMOVE}
  - applyTo: HTTP_FILTER
    match: ${hcm(', subFilter: {name: y}')}
    patch: {operation: ADD, value: {name: x}}`);
    const base = 'match.listener.filterChain.filter';
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: `spec.configPatches[0].${base}.subFilter.name`, message: 'the router must stay the last HTTP filter: INSERT_AFTER of it would leave a chain Envoy rejects' },
      { path: `spec.configPatches[1].${base}.name`, message: 'HTTP filters live in the envoy.filters.network.http_connection_manager filter; other network filters are not supported yet' },
      { path: `spec.configPatches[1].${base}.subFilter.name`, message: 'required for REMOVE: the HTTP filter to remove' },
      { path: `spec.configPatches[2].${base}.name`, message: 'HTTP filters live in the envoy.filters.network.http_connection_manager filter; other network filters are not supported yet' },
      { path: `spec.configPatches[2].${base}.subFilter.name`, message: 'ADD places the filter by position (last before the router); use INSERT_BEFORE or INSERT_AFTER to place it next to a filter' },
    ]);
  });
});

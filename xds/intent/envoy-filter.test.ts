import { describe, expect, it } from 'vitest';
import { validateIntent } from './validate';
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
  it('refuses an object where an enum is expected, naming the field, even one whose toString is not a function (was a 500)', () => {
    const hostile = { toString: 'x', valueOf: 1, hasOwnProperty: 'y' };
    const filter = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'f', namespace: 'default' }, spec: { configPatches: [{ applyTo: hostile, patch: { operation: 'MERGE', value: {} } }] } };
    expect(errorsOf(validateIntent(filter)).map((e) => [e.path, e.message])).toContainEqual(['spec.configPatches[0].applyTo', expect.stringMatching(/must be a string.*got object/)]);
    const gateway = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'default' }, spec: { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: hostile } }] } };
    expect(errorsOf(validateIntent(gateway)).map((e) => [e.path, e.message])).toContainEqual(['spec.servers[0].tls.mode', expect.stringMatching(/expected a string.*got object/)]);
  });

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
  - applyTo: FILTER_CHAIN
    patch: {operation: MERGE, value: {}}
  - applyTo: CLUSTER
    match: {context: WAYPOINT, proxy: {proxyVersion: "^1\\\\.2.*"}}
    patch: {operation: REPLACE, value: {}}
  - applyTo: ROUTE_CONFIGURATION
    match: {listener: {name: x, portName: http}, routeConfiguration: {portNumber: 80}}
    patch: {operation: REMOVE}
  - applyTo: BOOTSTRAP
    patch: {operation: MERGE, value: {}}`, '  targetRefs: [{kind: Gateway, name: x}]\n');
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.configPatches[0].applyTo', message: 'applyTo FILTER_CHAIN is not supported yet; supported: CLUSTER, LISTENER, LISTENER_FILTER, NETWORK_FILTER, HTTP_FILTER, ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE' },
      { path: 'spec.configPatches[1].match.context', message: 'context WAYPOINT is refused: there are no waypoint proxies here (no ambient mode)' },
      { path: 'spec.configPatches[1].match.proxy', message: expect.stringContaining('not support yet') },
      { path: 'spec.configPatches[1].patch.operation', message: 'operation REPLACE is not supported yet; supported: MERGE, ADD, REMOVE, INSERT_BEFORE, INSERT_AFTER, INSERT_FIRST' },
      { path: 'spec.configPatches[2].match.listener.portName', message: expect.stringContaining('Istio does not implement it') },
      { path: 'spec.configPatches[2].match.routeConfiguration.portNumber', message: expect.stringContaining('not support yet') },
      { path: 'spec.configPatches[2].match.listener', message: 'does not apply to ROUTE_CONFIGURATION; a ROUTE_CONFIGURATION patch matches with match.routeConfiguration' },
      { path: 'spec.configPatches[2].patch.operation', message: 'REMOVE does not apply to ROUTE_CONFIGURATION; use one of MERGE' },
      { path: 'spec.configPatches[3].applyTo', message: expect.stringMatching(/^applyTo BOOTSTRAP is refused: the bootstrap is the file Envoy starts with, not an xDS resource/) },
      { path: 'spec.targetRefs', message: expect.stringContaining('not support yet') },
    ]);
  });

  it('accepts the match forms Istio reads: cluster by service, subset and port; routes by name and action; empty names as any; SIDECAR_INBOUND', () => {
    const yaml = filter(`
  - applyTo: CLUSTER
    match: {context: SIDECAR_INBOUND, cluster: {service: reviews.default.svc.cluster.local, subset: v1, portNumber: 9080}}
    patch: {operation: REMOVE}
  - applyTo: HTTP_ROUTE
    match: {routeConfiguration: {name: "", vhost: {name: "", domainName: reviews, route: {name: default, action: ROUTE}}}}
    patch: {operation: MERGE, value: {route: {timeout: 2s}}}
  - applyTo: HTTP_ROUTE
    match: {routeConfiguration: {vhost: {route: {action: DIRECT_RESPONSE}}}}
    patch: {operation: INSERT_BEFORE, value: {match: {prefix: /x}, direct_response: {status: 418}}}
  - applyTo: NETWORK_FILTER
    match: {listener: {portNumber: 9080, filterChain: {sni: a.example, transportProtocol: tls, applicationProtocols: "h2,http/1.1", destinationPort: 9080, filter: {name: envoy.filters.network.tcp_proxy}}}}
    patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.network.local_ratelimit}}
  - applyTo: LISTENER_FILTER
    match: {listener: {listenerFilter: envoy.filters.listener.tls_inspector}}
    patch: {operation: INSERT_AFTER, value: {name: envoy.filters.listener.http_inspector}}`);
    expect(errorsOf(validateYaml(yaml))).toEqual([]);
  });

  it('refuses filter placements Istio would put after the terminal filter, and filter matches Istio refuses', () => {
    const yaml = filter(`
  - applyTo: NETWORK_FILTER
    patch: {operation: ADD, value: {name: x}}
  - applyTo: NETWORK_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
    patch: {operation: REMOVE}
  - applyTo: NETWORK_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: y}}}}}
    patch: {operation: MERGE, value: {name: z}}
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {subFilter: {name: ""}}}}}
    patch: {operation: INSERT_AFTER, value: {name: x}}
  - applyTo: LISTENER_FILTER
    patch: {operation: REMOVE}`);
    const base = 'match.listener.filterChain.filter';
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.configPatches[0].patch.operation', message: expect.stringMatching(/^Istio appends the filter after the chain's terminal filter .*use INSERT_BEFORE or INSERT_FIRST$/) },
      { path: `spec.configPatches[1].${base}.name`, message: "the chain's terminal filter must stay the last network filter: REMOVE of it would leave a chain Envoy rejects" },
      { path: `spec.configPatches[2].${base}.subFilter`, message: 'a subFilter match applies to HTTP_FILTER patches only (Istio refuses it elsewhere)' },
      { path: 'spec.configPatches[2].patch.value.name', message: 'a MERGE cannot rename the filter; leave name out or make it "envoy.filters.network.http_connection_manager"' },
      { path: `spec.configPatches[3].${base}.name`, message: 'required: the network filter to match (Istio refuses a filter match without a name)' },
      { path: `spec.configPatches[3].${base}.subFilter.name`, message: 'must not be empty: the HTTP filter to match (Istio refuses a filter match without a name)' },
      { path: 'spec.configPatches[4].match.listener.listenerFilter', message: 'required for REMOVE: the listener filter to remove' },
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
    const router = '{listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}';
    const yaml = filter(`
  - applyTo: HTTP_FILTER
    match: ${router}
    patch: {operation: INSERT_AFTER, value: {name: x}}
  - applyTo: HTTP_FILTER
    match: ${hcm('')}
    patch: {operation: REMOVE}
  - applyTo: HTTP_FILTER
    patch: {operation: INSERT_AFTER, value: {name: x}}`);
    const base = 'match.listener.filterChain.filter';
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: `spec.configPatches[0].${base}.subFilter.name`, message: 'the router must stay the last HTTP filter: INSERT_AFTER of it would leave a chain Envoy rejects' },
      { path: `spec.configPatches[1].${base}.name`, message: 'HTTP filters live in the envoy.filters.network.http_connection_manager filter; a patch matching another network filter reaches no HTTP filter' },
      { path: `spec.configPatches[1].${base}.subFilter.name`, message: 'required for REMOVE: the HTTP filter to remove' },
      { path: `spec.configPatches[2].${base}.subFilter.name`, message: 'required for INSERT_AFTER: without it Istio appends the filter after the router, which Envoy requires to be last; name the HTTP filter to insert after' },
    ]);
  });
});

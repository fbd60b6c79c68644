import { describe, expect, it } from 'vitest';
import type { EnvoyPatchIR, MeshIR } from '../ir/types';
import { applyEnvoyFilters, patchSource } from './patch';
import { protoMerge } from './proto-merge';
import type { View } from '../ir/view-types';

const MESH: View = { client: 'envoy', gateways: [] };
const GATEWAY: View = { client: 'envoy', gateways: ['istio-system/ingress'] };

function irWith(patches: Omit<EnvoyPatchIR, 'path'>[], workloadLabels?: Record<string, string>): MeshIR {
  return {
    services: [], clusters: [], meshPorts: [], grpcTargets: [],
    gateways: [{ key: 'istio-system/ingress', selector: { istio: 'ingressgateway' }, ports: [] }],
    envoyFilters: [{ source: 'EnvoyFilter/default/f', priority: 0, ...(workloadLabels ? { workloadLabels } : {}), patches: patches.map((p, i) => ({ ...p, path: `spec.configPatches[${i}]` })) }],
  };
}

const listener = (filters: string[]) => ({
  name: 'l',
  filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', http_filters: filters.map((name) => ({ name })) } }] }],
});
const filterNames = (l: any) => l.filter_chains[0].filters[0].typed_config.http_filters.map((f: any) => f.name);

describe('protoMerge', () => {
  it('merges messages, appends repeated fields, replaces scalars and durations, leaves its inputs alone', () => {
    const dst = { connect_timeout: '0.250s', circuit_breakers: { thresholds: [{ max_connections: 1 }] }, lb_policy: 'ROUND_ROBIN' };
    const src = { connect_timeout: '2s', circuit_breakers: { thresholds: [{ priority: 'HIGH' }] }, lb_policy: 'RANDOM' };
    expect(protoMerge(dst, src)).toEqual({ connect_timeout: '2s', circuit_breakers: { thresholds: [{ max_connections: 1 }, { priority: 'HIGH' }] }, lb_policy: 'RANDOM' });
    expect(dst.circuit_breakers.thresholds).toHaveLength(1);
  });

  it('merges an Any of the same @type and replaces one of another type', () => {
    const dst = { typed_config: { '@type': 'a', x: 1 } };
    expect(protoMerge(dst, { typed_config: { '@type': 'a', y: 2 } })).toEqual({ typed_config: { '@type': 'a', x: 1, y: 2 } });
    expect(protoMerge(dst, { typed_config: { '@type': 'b', y: 2 } })).toEqual({ typed_config: { '@type': 'b', y: 2 } });
  });
});

describe('applyEnvoyFilters', () => {
  const res = () => ({ clusters: [{ name: 'a', type: 'EDS' }, { name: 'b', type: 'EDS' }], endpoints: [{ cluster_name: 'a' }, { cluster_name: 'b' }], listeners: [listener(['cors', 'fault', 'envoy.filters.http.router'])], routes: [] });

  it('removes a cluster with its assignment, and reaches gateway views only with context GATEWAY', () => {
    const ir = irWith([{ applyTo: 'CLUSTER', operation: 'REMOVE', context: 'GATEWAY', name: 'b' }]);
    expect(applyEnvoyFilters(res(), ir, MESH)).toEqual(res());
    const out = applyEnvoyFilters(res(), ir, GATEWAY);
    expect(out.clusters.map((c) => c.name)).toEqual(['a']);
    expect(out.endpoints).toEqual([{ cluster_name: 'a' }]);
  });

  it('selects by workloadSelector only the gateway views whose selector carries the labels, never mesh or gRPC views', () => {
    const patch = { applyTo: 'CLUSTER', operation: 'MERGE', context: 'ANY', value: { connect_timeout: '1s' } } as const;
    const hit = irWith([patch], { istio: 'ingressgateway' });
    expect(applyEnvoyFilters(res(), hit, GATEWAY).clusters[0]).toEqual({ name: 'a', type: 'EDS', connect_timeout: '1s' });
    expect(applyEnvoyFilters(res(), hit, MESH).clusters[0]).toEqual({ name: 'a', type: 'EDS' });
    expect(applyEnvoyFilters(res(), irWith([patch], { istio: 'other' }), GATEWAY).clusters[0]).toEqual({ name: 'a', type: 'EDS' });
    expect(applyEnvoyFilters(res(), irWith([patch]), { client: 'grpc', gateways: [] }).clusters[0]).toEqual({ name: 'a', type: 'EDS' });
  });

  it('places HTTP filters: ADD before the router, INSERT_FIRST, INSERT_BEFORE and INSERT_AFTER by name, REMOVE by name', () => {
    const run = (p: Omit<EnvoyPatchIR, 'path' | 'applyTo' | 'context'>) => filterNames(applyEnvoyFilters(res(), irWith([{ applyTo: 'HTTP_FILTER', context: 'ANY', ...p }]), MESH).listeners[0]);
    const value = { name: 'x' };
    expect(run({ operation: 'ADD', value })).toEqual(['cors', 'fault', 'x', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_FIRST', value })).toEqual(['x', 'cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_BEFORE', subName: 'fault', value })).toEqual(['cors', 'x', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_AFTER', subName: 'cors', value })).toEqual(['cors', 'x', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_AFTER', subName: 'absent', value })).toEqual(['cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'REMOVE', subName: 'cors' })).toEqual(['fault', 'envoy.filters.http.router']);
  });

  it('names the patches that touched a resource, for pre-flight errors', () => {
    const ir = irWith([
      { applyTo: 'CLUSTER', operation: 'MERGE', context: 'ANY', name: 'a', value: {} },
      { applyTo: 'CLUSTER', operation: 'ADD', context: 'ANY', value: { name: 'c' } },
    ]);
    expect(patchSource(ir, MESH, 'clusters', 'a')).toEqual({ object: 'EnvoyFilter/default/f', objectPath: 'spec.configPatches[0]' });
    expect(patchSource(ir, MESH, 'clusters', 'c')).toEqual({ object: 'EnvoyFilter/default/f', objectPath: 'spec.configPatches[1]' });
    expect(patchSource(ir, MESH, 'clusters', 'b')).toBeUndefined();
  });
});

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
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', http_filters: filters.map((name) => ({ name })) } }] }],
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
    const ir = irWith([{ applyTo: 'CLUSTER', operation: 'REMOVE', context: 'GATEWAY', cluster: { name: 'b' } }]);
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

  it('places HTTP filters: ADD before the router, INSERT_FIRST, INSERT_BEFORE and INSERT_AFTER by name (first without one), REMOVE by name', () => {
    const sub = (name: string) => ({ filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name } } } });
    const run = (p: Omit<EnvoyPatchIR, 'path' | 'applyTo' | 'context'>) => filterNames(applyEnvoyFilters(res(), irWith([{ applyTo: 'HTTP_FILTER', context: 'ANY', ...p }]), MESH).listeners[0]);
    const value = { name: 'x' };
    expect(run({ operation: 'ADD', value })).toEqual(['cors', 'fault', 'x', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_FIRST', listener: sub('fault'), value })).toEqual(['x', 'cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_BEFORE', listener: sub('fault'), value })).toEqual(['cors', 'x', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_BEFORE', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } }, value })).toEqual(['x', 'cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_BEFORE', listener: sub('absent'), value })).toEqual(['cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_AFTER', listener: sub('cors'), value })).toEqual(['cors', 'x', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'INSERT_AFTER', listener: sub('absent'), value })).toEqual(['cors', 'fault', 'envoy.filters.http.router']);
    expect(run({ operation: 'REMOVE', listener: sub('cors') })).toEqual(['fault', 'envoy.filters.http.router']);
  });

  it('applies the HTTP filter MERGEs after the insertions, to the filter named, typed_config alone', () => {
    const hcm = { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'x' } } } };
    const out = applyEnvoyFilters(res(), irWith([
      { applyTo: 'HTTP_FILTER', context: 'ANY', operation: 'MERGE', listener: hcm, value: { typed_config: { '@type': 't', b: 2 } } },
      { applyTo: 'HTTP_FILTER', context: 'ANY', operation: 'INSERT_FIRST', value: { name: 'x', typed_config: { '@type': 't', a: 1 } } },
    ]), MESH);
    expect(out.listeners[0]!.filter_chains[0].filters[0].typed_config.http_filters[0]).toEqual({ name: 'x', typed_config: { '@type': 't', a: 1, b: 2 } });
  });

  it('patches network and listener filters by name, chains by their match, and leaves other names alone', () => {
    const l = { name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 443 } }, listener_filters: [{ name: 'tls' }], filter_chains: [
      { filter_chain_match: { server_names: ['a.example'] }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'tcp', stat_prefix: 'a' } }] },
      { filter_chain_match: { server_names: ['b.example'] }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'tcp', stat_prefix: 'b' } }] },
    ] };
    const tcp = { name: 'envoy.filters.network.tcp_proxy' };
    const out = applyEnvoyFilters({ ...res(), listeners: [l] }, irWith([
      { applyTo: 'NETWORK_FILTER', context: 'ANY', operation: 'INSERT_BEFORE', listener: { portNumber: 443, filterChain: { sni: 'a.example', filter: tcp } }, value: { name: 'rl' } },
      { applyTo: 'NETWORK_FILTER', context: 'ANY', operation: 'MERGE', listener: { filterChain: { filter: tcp } }, value: { typed_config: { '@type': 'tcp', idle_timeout: '5s' } } },
      { applyTo: 'NETWORK_FILTER', context: 'ANY', operation: 'INSERT_FIRST', listener: { portNumber: 80 }, value: { name: 'never' } },
      { applyTo: 'LISTENER_FILTER', context: 'ANY', operation: 'INSERT_FIRST', value: { name: 'proxy_protocol' } },
      { applyTo: 'LISTENER_FILTER', context: 'ANY', operation: 'INSERT_AFTER', listener: { listenerFilter: 'absent' }, value: { name: 'never' } },
    ]), MESH).listeners[0]!;
    expect(out.listener_filters.map((f: any) => f.name)).toEqual(['proxy_protocol', 'tls']);
    expect(out.filter_chains.map((c: any) => c.filters.map((f: any) => f.name))).toEqual([['rl', 'envoy.filters.network.tcp_proxy'], ['envoy.filters.network.tcp_proxy']]);
    expect(out.filter_chains[1].filters[0].typed_config).toEqual({ '@type': 'tcp', stat_prefix: 'b', idle_timeout: '5s' });
  });

  it('matches clusters by service, subset and port as the outbound|port|subset|host name encodes them; an ADD ignores its match', () => {
    const clusters = ['outbound|9080||r.svc', 'outbound|9080|v1|r.svc', 'outbound|9090||r.svc', 'other'].map((name) => ({ name, type: 'EDS' }));
    const run = (cluster: object) => applyEnvoyFilters({ ...res(), clusters }, irWith([{ applyTo: 'CLUSTER', context: 'ANY', operation: 'REMOVE', cluster }]), MESH).clusters.map((c) => c.name);
    expect(run({ service: 'r.svc', portNumber: 9080 })).toEqual(['outbound|9090||r.svc', 'other']);
    expect(run({ subset: 'v1' })).toEqual(['outbound|9080||r.svc', 'outbound|9090||r.svc', 'other']);
    expect(run({ name: 'other', service: 'r.svc' })).toEqual(['outbound|9080||r.svc', 'outbound|9080|v1|r.svc', 'outbound|9090||r.svc']);
    const added = applyEnvoyFilters({ ...res(), clusters }, irWith([
      { applyTo: 'CLUSTER', context: 'ANY', operation: 'ADD', cluster: { service: 'nothing' }, value: { name: 'new' } },
      { applyTo: 'CLUSTER', context: 'ANY', operation: 'MERGE', cluster: { name: 'new' }, value: { connect_timeout: '1s' } },
    ]), MESH).clusters;
    expect(added.at(-1)).toEqual({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'new' });
  });

  it('merges a transport socket alone, into the socket of its name, as Istio does', () => {
    const c = { name: 'a', type: 'EDS', transport_socket: { name: 'tls', typed_config: { '@type': 't', sni: 'a' } } };
    const merge = (value: Record<string, unknown>) => applyEnvoyFilters({ ...res(), clusters: [c] }, irWith([{ applyTo: 'CLUSTER', context: 'ANY', operation: 'MERGE', value }]), MESH).clusters[0];
    expect(merge({ connect_timeout: '1s', transport_socket: { name: 'tls', typed_config: { '@type': 't', alpn: 'h2' } } })).toEqual({ ...c, transport_socket: { name: 'tls', typed_config: { '@type': 't', sni: 'a', alpn: 'h2' } } });
    expect(merge({ transport_socket: { name: 'other' } })).toEqual({ ...c, transport_socket: { name: 'other' } });
  });

  it('patches routes as Istio: REMOVE and MERGE by name and action, then INSERT_BEFORE/AFTER/FIRST against the first match, ADD last', () => {
    const rc = { name: '80', virtual_hosts: [
      { name: 'a', domains: ['a'], routes: [{ name: 'r1', match: { prefix: '/x' }, route: { cluster: 'c' } }, { name: 'r2', match: { prefix: '/' }, direct_response: { status: 404 } }] },
      { name: 'b', domains: ['b'], routes: [{ name: 'r3', match: { prefix: '/' }, redirect: { host_redirect: 'a' } }] },
    ] };
    const run = (...ps: Omit<EnvoyPatchIR, 'path' | 'applyTo' | 'context'>[]) => applyEnvoyFilters({ ...res(), routes: [rc] }, irWith(ps.map((p) => ({ applyTo: 'HTTP_ROUTE', context: 'ANY', ...p }))), MESH)
      .routes[0]!.virtual_hosts.map((v: any) => v.routes.map((r: any) => r.name));
    const vhost = (name: string | undefined, route?: object) => ({ routeConfiguration: { vhost: { ...(name ? { name } : {}), ...(route ? { route: { action: 'ANY' as const, ...route } } : {}) } } });
    const value = { name: 'n', match: { prefix: '/n' }, route: { cluster: 'c' } };
    expect(run({ operation: 'REMOVE', ...vhost(undefined, { action: 'DIRECT_RESPONSE' }) })).toEqual([['r1'], ['r3']]);
    expect(run({ operation: 'INSERT_BEFORE', ...vhost('a', { name: 'r2' }), value })).toEqual([['r1', 'n', 'r2'], ['r3']]);
    expect(run({ operation: 'INSERT_BEFORE', ...vhost('a'), value })).toEqual([['n', 'r1', 'r2'], ['r3']]);
    expect(run({ operation: 'INSERT_AFTER', ...vhost(undefined, { action: 'ROUTE' }), value })).toEqual([['r1', 'n', 'r2'], ['r3']]);
    expect(run({ operation: 'INSERT_FIRST', ...vhost(undefined, { name: 'r3' }), value })).toEqual([['r1', 'r2'], ['n', 'r3']]);
    expect(run({ operation: 'ADD', ...vhost('b'), value })).toEqual([['r1', 'r2'], ['r3', 'n']]);
    // The MERGE runs before the insertion, so the inserted route is not merged.
    const merged = applyEnvoyFilters({ ...res(), routes: [rc] }, irWith([
      { applyTo: 'HTTP_ROUTE', context: 'ANY', operation: 'INSERT_FIRST', value },
      { applyTo: 'HTTP_ROUTE', context: 'ANY', operation: 'MERGE', ...vhost('b'), value: { route: { timeout: '1s' } } },
    ]), MESH).routes[0]!.virtual_hosts[1].routes;
    expect(merged).toEqual([value, { ...rc.virtual_hosts[1]!.routes[0], route: { timeout: '1s' } }]);
  });

  it('names the patches that touched a resource, for pre-flight errors', () => {
    const ir = irWith([
      { applyTo: 'CLUSTER', operation: 'MERGE', context: 'ANY', cluster: { name: 'a' }, value: {} },
      { applyTo: 'CLUSTER', operation: 'ADD', context: 'ANY', value: { name: 'c' } },
    ]);
    expect(patchSource(ir, MESH, 'clusters', 'a')).toEqual({ object: 'EnvoyFilter/default/f', objectPath: 'spec.configPatches[0]' });
    expect(patchSource(ir, MESH, 'clusters', 'c')).toEqual({ object: 'EnvoyFilter/default/f', objectPath: 'spec.configPatches[1]' });
    expect(patchSource(ir, MESH, 'clusters', 'b')).toBeUndefined();
  });
});

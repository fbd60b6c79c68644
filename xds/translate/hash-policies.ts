import type { ClusterIR, HashPolicyIR, MeshIR, RouteIR } from '../ir/types';

type Json = Record<string, unknown>;

/**
 * Envoy hashes per route, not per cluster: copy each cluster's consistent-hash key (from its
 * DestinationRule) onto the routes that reach it. A route splitting over several clusters takes the
 * first destination's that hashes, as Istio does.
 */
export function attachHashPolicies(ir: MeshIR): void {
  const byName = new Map<string, ClusterIR>(ir.clusters.map((c) => [c.name, c]));
  const attach = (route: RouteIR) => {
    const policy = route.destinations.map((d) => byName.get(d.cluster)?.hashPolicy).find((p) => p !== undefined);
    if (policy) route.hashPolicy = policy;
  };
  const routes = new Set<RouteIR>([
    ...ir.meshPorts.flatMap((p) => (p.kind === 'http' ? p.virtualHosts.flatMap((vh) => vh.routes) : [])),
    ...ir.grpcTargets.flatMap((t) => t.virtualHost.routes),
    ...ir.gateways.flatMap((g) => g.ports.flatMap((p) => p.virtualHosts.flatMap((vh) => vh.routes))),
  ]);
  routes.forEach(attach);
}

function buildOne(policy: HashPolicyIR): Json {
  switch (policy.kind) {
    case 'header':
      return { header: { header_name: policy.name } };
    case 'cookie':
      return { cookie: { name: policy.name, ttl: policy.ttl, ...(policy.path !== undefined ? { path: policy.path } : {}) } };
    case 'queryParameter':
      return { query_parameter: { name: policy.name } };
    case 'sourceIp':
      return { connection_properties: { source_ip: true } };
  }
}

/** RouteAction.hash_policy for a route whose cluster hashes (nothing otherwise). */
export function hashPolicyFor(route: RouteIR): Json {
  return route.hashPolicy ? { hash_policy: [buildOne(route.hashPolicy)] } : {};
}

import type { ClusterIR, MeshIR, RouteIR } from '../ir/types';

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

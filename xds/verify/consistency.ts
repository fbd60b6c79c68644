import { clustersOfRoute, routeConfigNamesOf, tcpClustersOf } from './references';
import type { RenderedView } from '../render/types';

type Json = Record<string, any>;

/**
 * go-control-plane's `Consistent()`, extended to routes: every EDS cluster has its assignment and
 * every assignment a cluster; every RDS name a listener uses exists and every route config is used;
 * every cluster a route or TCP proxy names exists. Returns the problems (empty when consistent).
 */
export function checkConsistency(snapshot: RenderedView): string[] {
  const problems: string[] = [];
  const { clusters, endpoints, listeners, routes } = snapshot.types;
  const edsNames = new Set<string>();
  for (const c of clusters.resources.values()) {
    const json = c.json as Json;
    if (json.type !== 'EDS') continue;
    const name = json.eds_cluster_config?.service_name ?? c.name;
    edsNames.add(name);
    if (!endpoints.resources.has(name)) problems.push(`cluster ${c.name} uses EDS name ${name}, which has no ClusterLoadAssignment`);
  }
  for (const name of endpoints.resources.keys()) if (!edsNames.has(name)) problems.push(`ClusterLoadAssignment ${name} belongs to no EDS cluster`);

  const usedRoutes = new Set<string>();
  for (const l of listeners.resources.values()) {
    for (const name of routeConfigNamesOf(l.json)) {
      usedRoutes.add(name);
      if (!routes.resources.has(name)) problems.push(`listener ${l.name} uses route config ${name}, which does not exist`);
    }
    for (const cluster of tcpClustersOf(l.json)) {
      if (!clusters.resources.has(cluster)) problems.push(`listener ${l.name} proxies TCP to cluster ${cluster}, which does not exist`);
    }
  }
  for (const r of routes.resources.values()) {
    if (!usedRoutes.has(r.name)) problems.push(`route config ${r.name} is used by no listener`);
    for (const vh of (r.json as Json).virtual_hosts ?? []) {
      for (const route of vh.routes ?? []) {
        for (const cluster of clustersOfRoute(route)) {
          if (!clusters.resources.has(cluster)) problems.push(`route config ${r.name}, virtual host ${vh.name} routes to cluster ${cluster}, which does not exist`);
        }
      }
    }
  }
  return problems;
}

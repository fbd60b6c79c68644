import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { ClusterEndpointIR, ClusterIR, LocalityLbIR } from '../ir/types';
import type { View } from '../ir/view-types';
import { applyLocalityLb, labelPriorityOf } from './locality-lb';

type Json = Record<string, unknown>;

function locality(value: string): Json {
  const [region = '', zone, subZone] = value.split('/');
  return { region, ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) };
}

/**
 * Endpoints grouped by locality. Every locality carries a weight (the sum of its endpoints'): gRPC's
 * client silently drops localities without one, and Envoy ignores it unless locality-weighted LB is on.
 * With `priorityOf` (failoverPriority), each locality is split further by its endpoints' priority, as
 * Istio does, and each part carries that (not yet compacted) priority.
 */
export function buildLoadAssignment(clusterName: string, endpoints: ClusterEndpointIR[], priorityOf?: (ep: ClusterEndpointIR) => number): Json {
  const groups = new Map<string, { key: string; priority: number; eps: ClusterEndpointIR[] }>();
  for (const ep of endpoints) {
    const key = ep.locality ?? '';
    const priority = priorityOf ? priorityOf(ep) : 0;
    const id = `${priority} ${key}`;
    if (!groups.has(id)) groups.set(id, { key, priority, eps: [] });
    groups.get(id)!.eps.push(ep);
  }
  const localities = [...groups.values()]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.priority - b.priority))
    .map(({ key, priority, eps }) => ({
      // Always present, even empty: gRPC's client rejects an assignment whose locality is unset.
      locality: key ? locality(key) : {},
      lb_endpoints: eps.map((ep) => ({
        endpoint: { address: { socket_address: { address: ep.address, port_value: ep.port } } },
        ...(ep.weight ? { load_balancing_weight: ep.weight } : {}),
      })),
      load_balancing_weight: eps.reduce((sum, ep) => sum + (ep.weight ?? 1), 0),
      ...(priority ? { priority } : {}),
    }));
  return { cluster_name: clusterName, endpoints: localities };
}

/** A load assignment as the proxies of one view see it (localityLbSetting relative to their locality and labels). */
export function viewLoadAssignment(clusterName: string, endpoints: ClusterEndpointIR[], lb: LocalityLbIR | undefined, view: Pick<View, 'locality' | 'labels'>): Json {
  const priorityOf = lb?.failoverPriority ? labelPriorityOf(lb.failoverPriority, view) : undefined;
  return applyLocalityLb(buildLoadAssignment(clusterName, endpoints, priorityOf), lb, view.locality ?? []);
}

/** The ClusterLoadAssignment of an EDS cluster (its name is the cluster's EDS service name), as the proxies of `view` see it. */
export function buildClusterLoadAssignment(cluster: ClusterIR, view: Pick<View, 'locality' | 'labels'> = {}): Json {
  return { '@type': RESOURCE_TYPES.endpoints, ...viewLoadAssignment(cluster.name, cluster.endpoints, cluster.localityLb, view) };
}

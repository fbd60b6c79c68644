import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { ClusterEndpointIR, ClusterIR } from '../ir/types';
import { applyLocalityLb } from './locality-lb';

type Json = Record<string, unknown>;

function locality(value: string): Json {
  const [region = '', zone, subZone] = value.split('/');
  return { region, ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) };
}

/**
 * Endpoints grouped by locality. Every locality carries a weight (the sum of its endpoints'): gRPC's
 * client silently drops localities without one, and Envoy ignores it unless locality-weighted LB is on.
 */
export function buildLoadAssignment(clusterName: string, endpoints: ClusterEndpointIR[]): Json {
  const groups = new Map<string, ClusterEndpointIR[]>();
  for (const ep of endpoints) {
    const key = ep.locality ?? '';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(ep);
  }
  const localities = [...groups]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, eps]) => ({
      // Always present, even empty: gRPC's client rejects an assignment whose locality is unset.
      locality: key ? locality(key) : {},
      lb_endpoints: eps.map((ep) => ({
        endpoint: { address: { socket_address: { address: ep.address, port_value: ep.port } } },
        ...(ep.weight ? { load_balancing_weight: ep.weight } : {}),
      })),
      load_balancing_weight: eps.reduce((sum, ep) => sum + (ep.weight ?? 1), 0),
    }));
  return { cluster_name: clusterName, endpoints: localities };
}

/** The ClusterLoadAssignment of an EDS cluster (its name is the cluster's EDS service name), as a proxy in `locality` sees it. */
export function buildClusterLoadAssignment(cluster: ClusterIR, locality: string[] = []): Json {
  return { '@type': RESOURCE_TYPES.endpoints, ...applyLocalityLb(buildLoadAssignment(cluster.name, cluster.endpoints), cluster.localityLb, locality) };
}

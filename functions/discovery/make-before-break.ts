import { clustersOfRouteConfig, hashNumber, RESOURCE_TYPES, tcpClustersOf, type ResourceType } from '../../xds';

/**
 * Over REST the edge cannot order pushes, but it can refuse to hand a node routes (or TCP listeners)
 * that name clusters the node has not yet reported accepting: such a poll is answered 304 until the
 * node's next CDS poll confirms the clusters. Per isolate and best effort: it needs this isolate to
 * have seen the node's CDS report recently and to have served (or rendered) that CDS version itself.
 */
const MAX_VERSIONS = 64;
/**
 * Names kept across versions, as 53-bit hashes (a 20,000-service mesh's 60,000 cluster names would be
 * ~8 MB as strings, ~1 MB as numbers; a collision could only let a route through early, as without this).
 */
const MAX_NAMES = 400_000;
const clustersByVersion = new Map<string, ReadonlySet<number>>();
let namesKept = 0;

/** Remembers which clusters a CDS version contains (called whenever CDS is served or rendered). */
export function rememberClusterSet(cdsVersion: string, names: Iterable<string>): void {
  if (clustersByVersion.has(cdsVersion)) return;
  const set = new Set<number>();
  for (const name of names) set.add(hashNumber(name));
  while (clustersByVersion.size && (clustersByVersion.size >= MAX_VERSIONS || namesKept + set.size > MAX_NAMES)) {
    const oldest = clustersByVersion.keys().next().value!;
    namesKept -= clustersByVersion.get(oldest)!.size;
    clustersByVersion.delete(oldest);
  }
  clustersByVersion.set(cdsVersion, set);
  namesKept += set.size;
}

function clustersNeeded(type: ResourceType, resources: Record<string, unknown>[]): string[] {
  if (type === 'routes') return resources.flatMap((r) => clustersOfRouteConfig(r));
  if (type === 'listeners') return resources.flatMap((r) => tcpClustersOf(r));
  return [];
}

/** Only route configurations and listeners name clusters a node must have first. */
export const mayNeedClusters = (type: ResourceType) => type === 'routes' || type === 'listeners';

/**
 * The clusters the answer needs that the node's accepted CDS version lacks (empty: safe, or unknown).
 * `currentCdsVersion` is the node's view's CDS now: a node that holds it has every cluster.
 */
export function clustersNotYetAccepted(type: ResourceType, resources: Record<string, unknown>[], acceptedCdsVersion: string | undefined, currentCdsVersion?: string): string[] {
  if (!acceptedCdsVersion || acceptedCdsVersion === currentCdsVersion || !mayNeedClusters(type)) return [];
  const accepted = clustersByVersion.get(acceptedCdsVersion);
  if (!accepted) return [];
  return [...new Set(clustersNeeded(type, resources))].filter((c) => !accepted.has(hashNumber(c)));
}

export const CDS_SUBSCRIPTION = RESOURCE_TYPES.clusters;

import { clustersOfRouteConfig, RESOURCE_TYPES, tcpClustersOf, type RenderedResource, type RenderedView, type ResourceType } from '../../xds';

/**
 * Over REST the edge cannot order pushes, but it can refuse to hand a node routes (or TCP listeners)
 * that name clusters the node has not yet reported accepting: such a poll is answered 304 until the
 * node's next CDS poll confirms the clusters. Per isolate and best effort: it needs this isolate to
 * have seen the node's CDS report recently and to know the cluster set of that CDS version.
 */
const MAX_VERSIONS = 64;
const clustersByVersion = new Map<string, ReadonlySet<string>>();

/** Remembers which clusters a CDS version contains (called whenever a snapshot is rendered or served). */
export function rememberClusterSet(snapshot: RenderedView): void {
  const cds = snapshot.types.clusters;
  if (clustersByVersion.has(cds.version)) return;
  if (clustersByVersion.size >= MAX_VERSIONS) clustersByVersion.delete(clustersByVersion.keys().next().value!);
  clustersByVersion.set(cds.version, new Set(cds.resources.keys()));
}

function clustersNeeded(type: ResourceType, resources: RenderedResource[]): string[] {
  if (type === 'routes') return resources.flatMap((r) => clustersOfRouteConfig(r.json));
  if (type === 'listeners') return resources.flatMap((r) => tcpClustersOf(r.json));
  return [];
}

/** The clusters the answer needs that the node's accepted CDS version lacks (empty: safe, or unknown). */
export function clustersNotYetAccepted(type: ResourceType, resources: RenderedResource[], acceptedCdsVersion: string | undefined): string[] {
  if (!acceptedCdsVersion) return [];
  const accepted = clustersByVersion.get(acceptedCdsVersion);
  if (!accepted) return [];
  return [...new Set(clustersNeeded(type, resources))].filter((c) => !accepted.has(c));
}

export const CDS_SUBSCRIPTION = RESOURCE_TYPES.clusters;

import type { BootstrapNode } from './types';

/**
 * The bootstrap's `node`, shaped as the edge and the bridge read it (labels and namespace from
 * `metadata`, `locality` with `sub_zone`). `locality` is always present: gRPC's xDS client
 * refuses a bootstrap without it, and Envoy takes `{}`.
 */
export function bootstrapNode(node: BootstrapNode, extraMetadata: Record<string, string> = {}): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (Object.keys(node.labels).length) metadata.labels = node.labels;
  if (node.namespace) metadata.namespace = node.namespace;
  Object.assign(metadata, extraMetadata);
  const l = node.locality ?? {};
  const locality = { ...(l.region ? { region: l.region } : {}), ...(l.zone ? { zone: l.zone } : {}), ...(l.subZone ? { sub_zone: l.subZone } : {}) };
  return {
    id: node.id,
    ...(node.cluster ? { cluster: node.cluster } : {}),
    locality,
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

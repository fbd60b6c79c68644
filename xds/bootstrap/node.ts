import type { BootstrapNode } from './types';

/**
 * `node.cluster` when none is given. Envoy refuses to start a CDS, LDS, ADS or SDS subscription
 * without one ("node 'id' and 'cluster' are required"), so a ready-to-run bootstrap always has it:
 * Istio's convention `<app>.<namespace>` when the proxy has an `app` label, else the node id.
 */
export function defaultServiceCluster(node: BootstrapNode): string {
  const app = node.labels.app;
  return app ? `${app}.${node.namespace ?? 'default'}` : node.id;
}

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
    cluster: node.cluster ?? defaultServiceCluster(node),
    locality,
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

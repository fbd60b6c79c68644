import type { Proxy, Subscription } from './types';

/**
 * Sync status per xDS type in `istioctl proxy-status`'s words: NOT SENT (nothing served yet), SYNCED (the
 * proxy acknowledged what was served), STALE (served, not yet acknowledged; "Never Acknowledged" before a
 * first ACK) and NACK (the proxy rejected what was served, with its message).
 */
export type SyncStatus = 'SYNCED' | 'NOT SENT' | 'STALE' | 'STALE (Never Acknowledged)' | 'NACK';

/** The columns istioctl shows, by the type URL's message name; SDS only where some proxy has it. */
export const XDS_TYPES = [
  { column: 'CDS', message: 'envoy.config.cluster.v3.Cluster' },
  { column: 'LDS', message: 'envoy.config.listener.v3.Listener' },
  { column: 'EDS', message: 'envoy.config.endpoint.v3.ClusterLoadAssignment' },
  { column: 'RDS', message: 'envoy.config.route.v3.RouteConfiguration' },
  { column: 'SDS', message: 'envoy.extensions.transport_sockets.tls.v3.Secret' },
] as const;
export type XdsColumn = (typeof XDS_TYPES)[number]['column'];

export function subscriptionStatus(s: Subscription): SyncStatus {
  if (s.nack) return 'NACK';
  if (!s.served) return 'NOT SENT';
  if (s.acked === s.served) return 'SYNCED';
  return s.acked === '' ? 'STALE (Never Acknowledged)' : 'STALE';
}

const WORST_FIRST: SyncStatus[] = ['NACK', 'STALE (Never Acknowledged)', 'STALE', 'NOT SENT', 'SYNCED'];

export interface TypeStatus {
  status: SyncStatus;
  /** The rejections of this type (EDS and RDS subscribe per name: `type#names`). */
  nacks: { subscription: string; version: string; message: string; inferred: boolean; at: string }[];
  servedRevision?: number;
}

/** One proxy's status per column: the worst of its subscriptions of that type; absent when it has none. */
export function proxyStatus(p: Proxy): Partial<Record<XdsColumn, TypeStatus>> {
  const out: Partial<Record<XdsColumn, TypeStatus>> = {};
  for (const [key, sub] of Object.entries(p.subscriptions)) {
    const message = key.split('#')[0]!.replace(/^type\.googleapis\.com\//, '');
    const column = XDS_TYPES.find((t) => t.message === message)?.column;
    if (!column) continue;
    const status = subscriptionStatus(sub);
    const seen = out[column];
    const nacks = [...(seen?.nacks ?? []), ...(sub.nack ? [{ subscription: key, ...sub.nack }] : [])];
    const worse = !seen || WORST_FIRST.indexOf(status) < WORST_FIRST.indexOf(seen.status) ? status : seen.status;
    const servedRevision = Math.max(seen?.servedRevision ?? 0, sub.servedRevision ?? 0) || undefined;
    out[column] = { status: worse, nacks, servedRevision };
  }
  return out;
}

import type { ProxyRow, ProxyTypeStatus } from '../db/schema';

/** A proxy is stale when it has not polled (or its bridge has not reported it) within `staleMs` (STATUS_STALE_MS, functions/settings.ts). */
export const isStale = (row: Pick<ProxyRow, 'lastSeen'>, now: number, staleMs: number) => now - Date.parse(row.lastSeen) > staleMs;

export type ProxyState = 'converged' | 'rejected' | 'pending' | 'stale';

export interface Rejection {
  type: string;
  version: string;
  message: string;
  inferred: boolean;
}

/** Stored entries may hold `nack: null` (a first insert keeps what json_patch would have removed). */
const nackOf = (s: ProxyTypeStatus) => s.nack ?? undefined;
/** Only a version served from revision n or later can tell anything about revision n. */
const reached = (s: ProxyTypeStatus, revision: number) => s.servedRevision !== undefined && s.servedRevision >= revision;

/**
 * A REST poller's EDS or RDS subscription (`typeUrl#names`) that has not reached n and has not been
 * heard of within the stale bound: Envoy dropped it (its cluster or route config went away) and will
 * never poll it again, so it must not hold the proxy pending forever. A live one is heard of at least
 * every heartbeat (30 s), whether or not it changed.
 */
const dropped = (key: string, s: ProxyTypeStatus, revision: number, now: number, staleMs: number) =>
  key.includes('#') && !reached(s, revision) && now - Date.parse(s.seenAt ?? s.updatedAt) > staleMs;

/**
 * Where one proxy stands on `revision`. Rejected: some subscription NACKed what it was last served,
 * from this revision or later. Converged: every subscription acknowledged what it was served, from
 * this revision or later. Otherwise pending (also with no subscriptions yet: nothing is delivered).
 */
export function judgeProxy(row: Pick<ProxyRow, 'lastSeen' | 'versions'>, revision: number, now: number, staleMs: number): { state: ProxyState; rejections: Rejection[] } {
  if (isStale(row, now, staleMs)) return { state: 'stale', rejections: [] };
  const entries = Object.entries(row.versions);
  const rejections: Rejection[] = [];
  for (const [type, s] of entries) {
    const nack = nackOf(s);
    if (nack && nack.version === s.served && reached(s, revision)) rejections.push({ type, version: nack.version, message: nack.message, inferred: nack.inferred });
  }
  if (rejections.length) return { state: 'rejected', rejections };
  const live = entries.filter(([key, s]) => !dropped(key, s, revision, now, staleMs));
  const converged = live.length > 0 && live.every(([, s]) => s.acked === s.served && reached(s, revision));
  return { state: converged ? 'converged' : 'pending', rejections };
}

import { proxies } from '../db/schema';
import type { Database } from '../db/store';
import { judgeProxy, type ProxyState } from './proxy-state';

/** Where a revision stands across every proxy: what GET /revisions/{n}/status, rollouts and events all judge by. */
export type RevisionPhase = 'converged' | 'rejected' | 'pending' | 'no-proxies';

/** The columns a revision's status is judged from. */
export function readProxyRows(db: Database) {
  return db
    .select({ nodeId: proxies.nodeId, view: proxies.view, transport: proxies.transport, bridge: proxies.bridge, lastSeen: proxies.lastSeen, versions: proxies.versions })
    .from(proxies)
    .orderBy(proxies.nodeId);
}

export type ProxyStatusRow = Awaited<ReturnType<typeof readProxyRows>>[number];

/** Every proxy judged on revision n, and the revision's phase (pure: one read of the proxies can judge several revisions). */
export function judgeRevision(rows: ProxyStatusRow[], revision: number, now: number, staleMs: number) {
  const counts: Record<ProxyState, number> = { converged: 0, rejected: 0, pending: 0, stale: 0 };
  const items = rows.map((row) => {
    const { state, rejections } = judgeProxy(row, revision, now, staleMs);
    counts[state]++;
    return { node_id: row.nodeId, view: row.view, transport: row.transport, bridge: row.bridge, state, last_seen: row.lastSeen, rejections };
  });
  const phase: RevisionPhase = counts.rejected ? 'rejected' : counts.pending ? 'pending' : counts.converged ? 'converged' : 'no-proxies';
  return { phase, counts, proxies: items };
}

/** Every proxy judged on revision n, and the revision's phase, from the proxies table now. */
export async function statusOf(db: Database, revision: number, staleMs: number) {
  return judgeRevision(await readProxyRows(db), revision, Date.now(), staleMs);
}

import { gte } from 'drizzle-orm';
import { proxies } from '../db/schema';
import type { Database } from '../db/store';
import { fleetCutoff, type FleetBounds } from './fleet';
import { judgeProxy, type ProxyState } from './proxy-state';

/** Where a revision stands across every proxy: what GET /revisions/{n}/status, rollouts and events all judge by. */
export type RevisionPhase = 'converged' | 'rejected' | 'pending' | 'no-proxies';

/** The columns a revision's status is judged from, of the proxies still in the fleet (seen since `cutoff`, fleet.ts). */
export function readProxyRows(db: Database, cutoff: string) {
  return db
    .select({ nodeId: proxies.nodeId, view: proxies.view, transport: proxies.transport, bridge: proxies.bridge, lastSeen: proxies.lastSeen, versions: proxies.versions })
    .from(proxies)
    .where(gte(proxies.lastSeen, cutoff))
    .orderBy(proxies.nodeId);
}

export type ProxyStatusRow = Awaited<ReturnType<typeof readProxyRows>>[number];

type Judged = { node_id: string; transport: string; bridge: string | null; state: ProxyState; last_seen: string };

const MAX_NAMED = 3;
const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * What the stale proxies mean, in one sentence, or undefined when there are none. Says which bridges
 * reported them (the bridge may be cut off from the edge) only when a bridge did.
 */
export function staleNote(items: Judged[], bounds: FleetBounds, now: number): string | undefined {
  const stale = items.filter((p) => p.state === 'stale');
  if (!stale.length) return undefined;
  const live = items.length - stale.length;
  const named = stale.slice(0, MAX_NAMED).map((p) => `${p.node_id} (${p.bridge ? `via bridge ${p.bridge}` : 'REST poller'}, last seen ${seconds(now - Date.parse(p.last_seen))} ago)`);
  const more = stale.length > MAX_NAMED ? ` and ${stale.length - MAX_NAMED} more` : '';
  const bridges = [...new Set(stale.map((p) => p.bridge).filter((b): b is string => !!b))];
  const bridgeHint = bridges.length
    ? `; if ${bridges.length === 1 ? `bridge ${bridges[0]} is` : `bridges ${bridges.join(', ')} are`} still running, ${bridges.length === 1 ? 'it may be' : 'they may be'} cut off from the edge`
    : '';
  const who = stale.length === 1 ? '1 proxy is' : `${stale.length} proxies are`;
  return (
    `${who} stale (not seen for ${seconds(bounds.staleMs)}): ${named.join(', ')}${more}; ${live ? 'not waited for' : 'no live proxy can confirm this revision'}` +
    `${bridgeHint}; stale proxies leave the fleet ${seconds(bounds.forgetMs)} after they were last seen (or with DELETE /api/v1/proxies/{node})`
  );
}

/** Every proxy judged on revision n, and the revision's phase (pure: one read of the proxies can judge several revisions). */
export function judgeRevision(rows: ProxyStatusRow[], revision: number, now: number, bounds: FleetBounds) {
  const counts: Record<ProxyState, number> = { converged: 0, rejected: 0, pending: 0, stale: 0 };
  const items = rows.map((row) => {
    const { state, rejections } = judgeProxy(row, revision, now, bounds.staleMs);
    counts[state]++;
    return { node_id: row.nodeId, view: row.view, transport: row.transport, bridge: row.bridge, state, last_seen: row.lastSeen, rejections };
  });
  // Stale proxies are waited for by nobody: with no live proxy the phase is no-proxies, whatever the stale ones hold.
  const phase: RevisionPhase = counts.rejected ? 'rejected' : counts.pending ? 'pending' : counts.converged ? 'converged' : 'no-proxies';
  const note = staleNote(items, bounds, now);
  return { phase, counts, ...(note ? { note } : {}), proxies: items };
}

/** Every proxy of the fleet judged on revision n, and the revision's phase, from the proxies table now. */
export async function statusOf(db: Database, revision: number, bounds: FleetBounds) {
  const now = Date.now();
  return judgeRevision(await readProxyRows(db, fleetCutoff(now, bounds.forgetMs)), revision, now, bounds);
}

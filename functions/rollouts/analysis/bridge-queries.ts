import { eq } from 'drizzle-orm';
import type { BridgeQuery, BridgeQueryResult } from '../../../xds/bridge-sync/analysis-queries';
import { rollouts } from '../../domain/db/schema';
import type { Database } from '../../domain/db/store';
import type { Rollout } from '../schema';
import { rowToRollout } from '../store';
import { missed, verdictOf } from './judge';
import { queryOf, record } from './measure';
import type { Measurement, MetricSpec } from './schema';

/** A bridge polls for queries every few seconds (XDSFLARE_ANALYSIS_POLL_MS): this long past the provider's timeout, no answer is no bridge. */
const NO_BRIDGE_GRACE_MS = 15_000;

export const fromBridge = (r: Rollout) => r.analysis?.provider.from === 'bridge';

/**
 * A due measurement of a `from: bridge` provider: the first look asks (a pending query for the
 * bridges to run), later looks wait for the answer (delivered by deliverBridgeResults), and a query
 * no bridge answered in time becomes an inconclusive measurement, never a pass.
 */
export function askBridge(r: Rollout, m: MetricSpec, step: number | null, now: number): { fresh?: Measurement; asked: boolean } {
  const a = r.analysis!;
  const pending = (a.pending ??= []);
  const mine = pending.find((p) => p.metric === m.name && p.step === step);
  if (!mine) {
    pending.push({ id: crypto.randomUUID(), metric: m.name, step, query: queryOf(r, m), at: new Date(now).toISOString() });
    return { asked: true };
  }
  if (now - Date.parse(mine.at) < a.provider.timeoutSeconds * 1000 + NO_BRIDGE_GRACE_MS) return { asked: false };
  a.pending = pending.filter((p) => p !== mine);
  const message = `no bridge answered within ${a.provider.timeoutSeconds + NO_BRIDGE_GRACE_MS / 1000} s: is a bridge running with XDSFLARE_PROMETHEUS_URL set?`;
  const fresh: Measurement = { metric: m.name, step, query: mine.query, value: null, at: mine.at, verdict: 'inconclusive', message };
  record(r, [fresh]);
  return { fresh, asked: false };
}

/** The queries bridges are asked to run now: every pending one of every progressing rollout. */
export async function pendingBridgeQueries(db: Database): Promise<BridgeQuery[]> {
  const rows = await db.select().from(rollouts).where(eq(rollouts.state, 'progressing'));
  return rows.map(rowToRollout).flatMap((r) =>
    fromBridge(r) ? (r.analysis!.pending ?? []).map((p) => ({ id: p.id, rollout: r.id, query: p.query, time: Date.parse(p.at), timeoutMs: r.analysis!.provider.timeoutSeconds * 1000 })) : [],
  );
}

/** Answers for this rollout's pending queries, recorded as measurements (returned); unknown ids (answered already, or by another bridge) are ignored. */
export function takeBridgeResults(r: Rollout, results: BridgeQueryResult[], bridge: string): Measurement[] {
  const a = r.analysis;
  if (!a?.pending?.length) return [];
  const metrics = [...a.metrics, ...a.background];
  const taken: Measurement[] = [];
  for (const res of results) {
    const p: NonNullable<typeof a.pending>[number] | undefined = a.pending.find((x) => x.id === res.id);
    const m = p && metrics.find((x) => x.name === p.metric);
    if (!p || !m) continue;
    a.pending = a.pending.filter((x): boolean => x !== p);
    if (res.value === null) {
      taken.push({ metric: m.name, step: p.step, query: p.query, value: null, at: p.at, verdict: 'inconclusive', message: `bridge ${bridge}: ${res.message ?? 'no value'}` });
      continue;
    }
    const verdict = verdictOf(m, res.value);
    taken.push({ metric: m.name, step: p.step, query: p.query, value: res.value, at: p.at, verdict, ...(verdict === 'failed' ? { message: missed(m, res.value) } : {}) });
  }
  if (taken.length) record(r, taken);
  return taken;
}

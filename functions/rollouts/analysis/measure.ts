import type { Env } from '../../env';
import type { Rollout } from '../schema';
import { authorizationOf } from './credentials';
import { verdictOf, missed } from './judge';
import { queryPrometheus } from './prometheus';
import { TEMPLATES, renderQuery } from './templates';
import type { Measurement, MetricSpec } from './schema';

/** A rollout keeps this many measurements (oldest dropped): a D1 row is at most 2 MB. */
export const MAX_MEASUREMENTS = 500;

export const queryOf = (r: Pick<Rollout, 'stable' | 'candidate'>, m: MetricSpec) =>
  renderQuery(m.query ?? TEMPLATES[m.template!].query, { stable: r.stable, candidate: r.candidate, interval: `${m.intervalSeconds}s`, clusterLabel: m.clusterLabel });

/** One measurement from the edge: the Worker asks the provider (fetch at call time, so a test can stand in for it). */
export async function measure(env: Env, r: Rollout, m: MetricSpec, step: number | null, now: number): Promise<Measurement> {
  const query = queryOf(r, m);
  const at = new Date(now).toISOString();
  const provider = r.analysis!.provider;
  let authorization: string | undefined;
  try {
    authorization = await authorizationOf(env, r.id, provider);
  } catch (err) {
    return { metric: m.name, step, query, value: null, at, verdict: 'inconclusive', message: (err as Error).message };
  }
  const result = await queryPrometheus((input, init) => fetch(input, init), { url: provider.url ?? '', authorization, timeoutMs: provider.timeoutSeconds * 1000 }, query, now);
  if (result.value === null) return { metric: m.name, step, query, value: null, at, verdict: 'inconclusive', message: result.message };
  const verdict = verdictOf(m, result.value);
  return { metric: m.name, step, query, value: result.value, at, verdict, ...(verdict === 'failed' ? { message: missed(m, result.value) } : {}) };
}

export function record(r: Rollout, ms: Measurement[]): void {
  const all = [...r.analysis!.measurements, ...ms];
  r.analysis!.measurements = all.slice(-MAX_MEASUREMENTS);
}

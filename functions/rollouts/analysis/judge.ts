import type { Measurement, MetricSpec } from './schema';

/** What a metric says now: measure again at `at`, passed (enough good measurements), or decided against. */
export type MetricState =
  | { kind: 'due'; at: number }
  | { kind: 'passed' }
  | { kind: 'failed'; message: string; evidence: Measurement[] }
  | { kind: 'inconclusive'; action: 'pause' | 'abort'; message: string; evidence: Measurement[] };

const range = (m: MetricSpec) => `[${m.thresholdRange.min ?? '-inf'}, ${m.thresholdRange.max ?? '+inf'}]`;

/** A value's verdict against the metric's range (bounds included). */
export function verdictOf(m: MetricSpec, value: number | null): 'passed' | 'failed' | 'inconclusive' {
  if (value === null) return 'inconclusive';
  const { min, max } = m.thresholdRange;
  return (min === undefined || value >= min) && (max === undefined || value <= max) ? 'passed' : 'failed';
}

export const missed = (m: MetricSpec, value: number) => `${value} is outside ${range(m)}`;

/**
 * Pure: a metric's state from its measurements in this window (one step's, or the whole rollout's for
 * a background metric), oldest first. The first measurement is due one interval after `since` (the
 * step converged, the rollout started), so it sees the step's traffic; each next one an interval after
 * the last. Failures beyond failureLimit fail it; consecutive inconclusive ones (counted after the last
 * resume) beyond inconclusiveLimit do what `inconclusive` says, or count as failures with `fail`.
 */
export function judgeMetric(m: MetricSpec, ms: Measurement[], since: number, resumedAt: number | null, background: boolean): MetricState {
  const failing = ms.filter((x) => x.verdict === 'failed' || (m.inconclusive === 'fail' && x.verdict === 'inconclusive'));
  if (failing.length > m.failureLimit) {
    const last = failing.at(-1)!;
    const why = last.value === null ? `inconclusive (${last.message})` : missed(m, last.value);
    return { kind: 'failed', message: `metric ${m.name} failed ${failing.length} time${failing.length === 1 ? '' : 's'} (failureLimit ${m.failureLimit}): ${why}`, evidence: failing.slice(-5) };
  }
  if (m.inconclusive !== 'fail') {
    let run = 0;
    for (let i = ms.length - 1; i >= 0 && ms[i]!.verdict === 'inconclusive' && (resumedAt === null || Date.parse(ms[i]!.at) >= resumedAt); i--) run++;
    if (run > m.inconclusiveLimit) {
      const last = ms.at(-1)!;
      return { kind: 'inconclusive', action: m.inconclusive, message: `metric ${m.name} is inconclusive ${run} time${run === 1 ? '' : 's'} in a row: ${last.message ?? 'no value'}`, evidence: ms.slice(-run).slice(-5) };
    }
  }
  const conclusive = ms.filter((x) => x.verdict !== 'inconclusive' || m.inconclusive === 'fail').length;
  if (!background && conclusive >= m.count) return { kind: 'passed' };
  const last = ms.at(-1);
  return { kind: 'due', at: (last ? Date.parse(last.at) : since) + m.intervalSeconds * 1000 };
}

import type { Change } from '../../domain/config/commit';
import { openDatabase } from '../../domain/db/store';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { commitStep, type Actor } from '../commit-step';
import { emitAborted, emitMeasurement, emitStep, emitSucceeded } from '../events';
import type { AbortRecord, Rollout, StepRecord } from '../schema';
import { saveRollout } from '../store';
import { describeStep, kindsOf } from '../step-kinds';
import { checkGates } from './gates';
import { judgeMetric, type MetricState } from './judge';
import { measure, record } from './measure';
import { askBridge, fromBridge } from './bridge-queries';
import type { Measurement, MetricSpec } from './schema';

/** What the driver lends this module (progress.ts: passed in, so the two do not import each other). */
export interface Driver {
  advance(env: Env, r: Rollout, step: number, actor: Actor, now: number): Promise<number | null>;
  abort(env: Env, r: Rollout, cause: Pick<AbortRecord, 'reason' | 'message' | 'rejections' | 'measurements'>, actor: Actor, now: number): Promise<Rollout>;
  actor(r: Rollout): Actor;
}

const iso = (ms: number) => new Date(ms).toISOString();
const earliest = (...at: (number | null)[]) => at.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.min(a, b)), null);

/** Whether a converged step waits for more than its pause (metrics to measure, gates to ask). */
export const isJudged = (r: Rollout) => Boolean(r.analysis?.metrics.length) || (r.gates ?? []).some((g) => g.type !== 'pre-rollout');

const resumedAtOf = (r: Rollout) => (r.analysis?.resumedAt ? Date.parse(r.analysis.resumedAt) : null);
const measurementsOf = (r: Rollout, m: MetricSpec, scope: number | null) => r.analysis!.measurements.filter((x) => x.metric === m.name && x.step === scope);

/** Measures a metric if it is due, then judges it (so a due measurement decides at once). `untilStopped`: measured every interval, as background metrics are. */
async function step(env: Env, r: Rollout, m: MetricSpec, scope: number | null, since: number, now: number, untilStopped = scope === null): Promise<{ state: MetricState; fresh?: Measurement; changed?: boolean }> {
  const resumedAt = resumedAtOf(r);
  let state = judgeMetric(m, measurementsOf(r, m, scope), since, resumedAt, untilStopped);
  if (state.kind !== 'due' || state.at > now) return { state };
  let fresh: Measurement | undefined;
  if (fromBridge(r)) {
    // Asked of the bridges; their answer is recorded by the driver (deliverBridgeResults) and wakes it.
    const asked = askBridge(r, m, scope, now);
    fresh = asked.fresh;
    if (!fresh) return { state: { kind: 'due', at: now + settings(env).rolloutTickMs }, changed: asked.asked };
  } else {
    fresh = await measure(env, r, m, scope, now);
    record(r, [fresh]);
  }
  await emitMeasurement(env, r, fresh);
  state = judgeMetric(m, measurementsOf(r, m, scope), since, resumedAt, untilStopped);
  return { state, fresh };
}

type Verdict = { kind: 'go' } | { kind: 'wait'; at: number | null } | { kind: 'stopped' };

/** Acts on decided metric states: a failure aborts; an inconclusive one pauses or aborts as configured. */
async function decide(env: Env, r: Rollout, d: Driver, states: MetricState[], entry: StepRecord | undefined, now: number): Promise<Verdict | undefined> {
  const against = states.find((s) => s.kind === 'failed') ?? states.find((s) => s.kind === 'inconclusive' && s.action === 'abort');
  if (against && (against.kind === 'failed' || against.kind === 'inconclusive')) {
    if (entry) entry.analysis = 'failed';
    await d.abort(env, r, { reason: 'analysis', message: against.message, rejections: [], measurements: against.evidence }, d.actor(r), now);
    return { kind: 'stopped' };
  }
  const pause = states.find((s) => s.kind === 'inconclusive');
  if (pause && pause.kind === 'inconclusive') {
    Object.assign(r, { state: 'paused', hold: { by: 'analysis', message: `${pause.message}; paused: resume to measure again, promote or abort`, at: iso(now) } });
    await saveRollout(openDatabase(env.DB), r, null);
    return { kind: 'stopped' };
  }
  return undefined;
}

/** A rollout resumed after an analysis pause: the inconclusive measurements before now are forgiven. */
function noteResume(r: Rollout, now: number): boolean {
  if (r.hold?.by !== 'analysis' || r.state !== 'progressing') return false;
  if (r.analysis) r.analysis.resumedAt = iso(now);
  r.hold = null;
  return true;
}

/** Background metrics, on every look at a progressing rollout: measured from step 0's start until it ends. */
export async function runBackground(env: Env, r: Rollout, d: Driver, now: number): Promise<Verdict> {
  const metrics = r.analysis?.background ?? [];
  const since = r.history[0]?.startedAt;
  if (!metrics.length || !since) return { kind: 'wait', at: null };
  let changed = noteResume(r, now);
  const states: MetricState[] = [];
  for (const m of metrics) {
    const { state, fresh, changed: asked } = await step(env, r, m, null, Date.parse(since), now);
    changed ||= fresh !== undefined || Boolean(asked);
    states.push(state);
  }
  const decided = await decide(env, r, d, states, undefined, now);
  if (decided) return decided;
  if (changed) await saveRollout(openDatabase(env.DB), r, now + settings(env).rolloutTickMs);
  return { kind: 'wait', at: earliest(...states.map((s) => (s.kind === 'due' ? s.at : null))) };
}

/**
 * A converged step of a judged rollout: its metrics measured during the pause (the step advances only
 * when each passed), then the gates before the next step, then the next step; the last step succeeds
 * once its analysis passed. Returns when to look again (null: nothing until someone acts).
 */
export async function afterConverged(env: Env, r: Rollout, entry: StepRecord, d: Driver, now: number): Promise<number | null> {
  const db = openDatabase(env.DB);
  let changed = noteResume(r, now);
  const convergedAt = Date.parse(entry.convergedAt!);
  let next: number | null = null;
  const metrics = r.analysis?.metrics ?? [];
  if (metrics.length && entry.analysis !== 'passed') {
    entry.analysis = 'running';
    const states: MetricState[] = [];
    for (const m of metrics) {
      const { state, fresh, changed: asked } = await step(env, r, m, entry.step, convergedAt, now);
      changed ||= fresh !== undefined || Boolean(asked);
      states.push(state);
    }
    const decided = await decide(env, r, d, states, entry, now);
    if (decided) return null;
    if (states.every((s) => s.kind === 'passed')) entry.analysis = 'passed';
    else next = earliest(...states.map((s) => (s.kind === 'due' ? s.at : null)));
    changed = true;
  }
  const pauseEnds = convergedAt + r.pauseSeconds * 1000;
  if (next === null && now < pauseEnds) next = pauseEnds;
  if (next === null && entry.weight === 100) {
    Object.assign(r, { state: 'succeeded', finishedAt: iso(now), hold: null });
    const saved = await saveRollout(db, r, null);
    await emitSucceeded(env, saved);
    return null;
  }
  if (next === null) {
    const gates = await checkGates(env, r, entry.step + 1, now);
    if (gates.kind === 'failed') {
      await d.abort(env, r, { reason: 'gate', message: gates.message, rejections: [] }, d.actor(r), now);
      return null;
    }
    if (gates.kind === 'passed') {
      r.hold = null;
      return d.advance(env, r, entry.step + 1, d.actor(r), now);
    }
    r.hold = gates.held ? { by: 'gate', message: `${gates.held}; held: retried until it answers 2xx`, at: r.hold?.by === 'gate' ? r.hold.at : iso(now) } : r.hold;
    next = now + settings(env).rolloutTickMs;
    changed = true;
  }
  if (changed) await saveRollout(db, r, next);
  return next;
}

/**
 * Blue-green's rollback window: the switch's metrics measured every interval while it lasts, a
 * failure (or an inconclusive run, as configured) deciding at once. `passed` once each metric has
 * its `count` conclusive passing measurements since the switch converged.
 */
export async function runWindow(env: Env, r: Rollout, entry: StepRecord, d: Driver, now: number): Promise<{ kind: 'stopped' } | { kind: 'wait'; at: number | null; passed: boolean }> {
  const metrics = r.analysis?.metrics ?? [];
  noteResume(r, now);
  if (!metrics.length) return { kind: 'wait', at: null, passed: true };
  const since = Date.parse(entry.convergedAt!);
  const states: MetricState[] = [];
  for (const m of metrics) states.push((await step(env, r, m, entry.step, since, now, true)).state);
  if (await decide(env, r, d, states, entry, now)) return { kind: 'stopped' };
  const passed = metrics.every((m) => judgeMetric(m, measurementsOf(r, m, entry.step), since, resumedAtOf(r), false).kind === 'passed');
  entry.analysis = passed ? 'passed' : 'running';
  return { kind: 'wait', at: earliest(...states.map((s) => (s.kind === 'due' ? s.at : null))), passed };
}

/** Aborted before anything was committed (a pre-rollout gate, step 0 refused): nothing to roll back. */
export async function abortUnstarted(env: Env, r: Rollout, reason: 'gate' | 'conflict' | 'manual', message: string, now: number): Promise<null> {
  Object.assign(r, { state: 'aborted', finishedAt: iso(now), hold: null, pendingManifest: undefined, abort: { reason, message, revision: null, rejections: [], rollbackRevision: null, at: iso(now) } });
  const saved = await saveRollout(openDatabase(env.DB), r, null);
  await emitAborted(env, saved);
  return null;
}

/** Step 0 and the held-back manifest as one revision, once the pre-rollout gates let it in (create does this itself when there are none). */
async function startSteps(env: Env, r: Rollout, actor: Actor, now: number): Promise<number | null> {
  const extra = (r.pendingManifest ?? []).map((object) => ({ op: 'put', object }) as unknown as Change);
  const step = await commitStep(env, r, 0, kindsOf(r)[0]!, actor, { extra });
  if (!step.ok) return abortUnstarted(env, r, 'conflict', `step 1 of ${r.steps.length} (${describeStep(kindsOf(r)[0]!)}) could not be committed: ${step.message}`, now);
  const entry: StepRecord = { step: 0, weight: r.steps[0]!, revision: step.revision, startedAt: iso(now), convergedAt: null, deadline: iso(now + r.timeoutSeconds * 1000), outcome: 'pending' };
  Object.assign(r, { hold: null, pendingManifest: undefined, baseRevision: step.committed ? step.revision - 1 : step.revision, weight: entry.weight, currentStep: 0, history: [entry] });
  const next = now + settings(env).rolloutTickMs;
  const saved = await saveRollout(openDatabase(env.DB), r, next);
  await emitStep(env, saved, entry, 'started');
  return next;
}

/** A rollout whose pre-rollout gates hold its first step back: ask them, then commit step 0 with the manifest. */
export async function beforeStart(env: Env, r: Rollout, d: Driver, now: number): Promise<number | null> {
  const gates = await checkGates(env, r, 0, now);
  if (gates.kind === 'failed') return abortUnstarted(env, r, 'gate', gates.message, now);
  if (gates.kind === 'passed') return startSteps(env, r, d.actor(r), now);
  r.hold = { by: 'gate', message: gates.held ? `${gates.held}; held: retried until it answers 2xx` : 'waiting for the pre-rollout gate', at: r.hold?.at ?? iso(now) };
  const next = now + settings(env).rolloutTickMs;
  await saveRollout(openDatabase(env.DB), r, next);
  return next;
}

import { statusOf } from '../domain/status/revision-phase';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { settings } from '../settings';
import { commitRollback, commitStep, type Actor, type RollbackResult } from './commit-step';
import { emitAborted, emitStep, emitSucceeded } from './events';
import type { AbortReason, AbortRecord, Rollout, StepRecord } from './schema';
import { findCommittedRevision, loadRollout, saveRollout } from './store';
import { afterConverged, beforeStart, isJudged, runBackground, runWindow, type Driver } from './analysis/run';
import { describeStep, kindsOf } from './step-kinds';

/** A rollout whose creating request never recorded its first step is given up after this. */
const START_GRACE_MS = 60_000;
/** An abort keeps the first rejections, clipped (revision status has them all): a D1 row is at most 2 MB. */
const MAX_REJECTIONS = 20;
const MAX_REJECTION_MESSAGE = 1024;
const clip = (s: string) => (s.length > MAX_REJECTION_MESSAGE ? `${s.slice(0, MAX_REJECTION_MESSAGE - 1)}…` : s);

const iso = (ms: number) => new Date(ms).toISOString();
export const ownActor = (r: Rollout): Actor => ({ author: r.author, source: r.source });
/** The newest revision the rollout knows of: commits of its next step can only come after it. */
const lastRevision = (r: Rollout) => Math.max(r.baseRevision ?? 0, ...r.history.map((h) => h.revision ?? 0));

/** How messages name a step: 1-based, of how many (the API's `step` and `currentStep` stay 0-based indexes into `steps`). */
export const stepName = (r: Pick<Rollout, 'steps'>, index: number) => `step ${index + 1} of ${r.steps.length}`;

export type AbortCause = Pick<AbortRecord, 'reason' | 'message' | 'rejections' | 'measurements'>;
/** What metric analysis and gates (./analysis/run.ts) call back into. */
const driver: Driver = { advance: (...a) => advance(...a), abort: (...a) => abortRollout(...a), actor: (r) => ownActor(r) };

/**
 * One look at a rollout, from its state in D1: judge the current step, wait out the pause, or commit
 * the next step. Returns when to look next (null: nothing left until a user acts). Safe to run twice
 * or after a restart: a step is committed only after checking D1 for it.
 */
export async function tickRollout(env: Env, id: number, now = Date.now()): Promise<number | null> {
  const r = await loadRollout(openDatabase(env.DB), id);
  if (!r || r.state !== 'progressing') return null;
  if (r.abort) return void (await finishAbort(env, r, ownActor(r))), null;
  const entry = r.history.at(-1);
  if (!entry) return r.pendingManifest ? beforeStart(env, r, driver, now) : recoverStart(env, r, now);
  // Background metrics first: a failure aborts whatever the step is doing.
  const background = await runBackground(env, r, driver, now);
  if (background.kind === 'stopped') return null;
  const next = await stepTick(env, r, entry, now);
  return next === null || background.kind !== 'wait' || background.at === null || r.state !== 'progressing' ? next : Math.min(next, background.at);
}

async function stepTick(env: Env, r: Rollout, entry: StepRecord, now: number): Promise<number | null> {
  if (entry.outcome === 'pending') return judgeStep(env, r, entry, now);
  if (entry.outcome !== 'converged') return null;
  if (entry.windowEndsAt) return watchWindow(env, r, entry, now);
  if (isJudged(r)) return afterConverged(env, r, entry, driver, now);
  const until = Date.parse(entry.convergedAt!) + r.pauseSeconds * 1000;
  return now < until ? until : advance(env, r, r.currentStep + 1, ownActor(r), now);
}

async function judgeStep(env: Env, r: Rollout, entry: StepRecord, now: number): Promise<number | null> {
  const db = openDatabase(env.DB);
  const status = await statusOf(db, entry.revision!, settings(env));
  const what = describeRevision(r, entry);
  if (status.phase === 'rejected') {
    await abortRollout(env, r, rejectedCause(status, what), ownActor(r), now);
    return null;
  }
  // Judged as revision status judges it (one rule: stale proxies are waited for by nobody). No live
  // proxy: nothing can confirm or reject the step, so it stands, and says so, naming the stale ones.
  if (status.phase === 'converged' || status.phase === 'no-proxies') {
    entry.outcome = 'converged';
    entry.convergedAt = iso(now);
    if (status.phase === 'no-proxies') entry.noProxies = true;
    if (status.note) entry.note = status.note;
    // A judged step (metrics, gates) is not done at 100% until its analysis passed; blue-green's switch not before its rollback window ended.
    const windowed = r.blueGreen !== undefined && entry.step === r.steps.length - 1;
    if (windowed) entry.windowEndsAt = iso(now + r.blueGreen!.rollbackWindowSeconds * 1000);
    const judged = isJudged(r) || windowed;
    const done = entry.weight === 100 && !judged;
    if (done) Object.assign(r, { state: 'succeeded', finishedAt: iso(now) });
    const next = done ? null : r.pauseSeconds > 0 && !judged ? now + r.pauseSeconds * 1000 : now;
    const saved = await saveRollout(db, r, next);
    await emitStep(env, saved, entry, 'converged');
    if (done) await emitSucceeded(env, saved);
    if (windowed) return watchWindow(env, saved, entry, now);
    if (judged) return afterConverged(env, saved, entry, driver, now);
    return next !== null && next <= now ? advance(env, saved, saved.currentStep + 1, ownActor(saved), now) : next;
  }
  const deadline = Date.parse(entry.deadline!);
  if (now >= deadline) {
    const pending = status.proxies.filter((p) => p.state === 'pending').slice(0, 3).map((p) => p.node_id);
    const message = `${what} did not converge within ${r.timeoutSeconds}s: ${status.counts.pending} of ${status.counts.pending + status.counts.converged} live proxies pending (${pending.join(', ')}${status.counts.pending > pending.length ? ', …' : ''})${status.note ? `; ${status.note}` : ''}`;
    await abortRollout(env, r, { reason: 'timeout', message, rejections: [] }, ownActor(r), now);
    return null;
  }
  return Math.min(now + settings(env).rolloutTickMs, deadline);
}

const describeRevision = (r: Rollout, entry: StepRecord) => `revision ${entry.revision} (${stepName(r, entry.step)}, ${describeStep(kindsOf(r)[entry.step]!)})`;

/** A NACKed step's abort: the first rejections, clipped, and who sent the first. */
function rejectedCause(status: Awaited<ReturnType<typeof statusOf>>, what: string): AbortCause {
  const rejections = status.proxies.flatMap((p) => p.rejections.map((x) => ({ node_id: p.node_id, type: x.type, message: clip(x.message), inferred: x.inferred }))).slice(0, MAX_REJECTIONS);
  const n = status.counts.rejected;
  const first = rejections[0];
  const message = `${what} was rejected by ${n} prox${n === 1 ? 'y' : 'ies'}${first ? `: ${first.node_id} ${first.inferred ? '(inferred) ' : ''}${first.message}` : ''}`;
  return { reason: 'rejected', message, rejections };
}

/**
 * Blue-green's rollback window, after the switch converged: a proxy NACKing the switch (one that
 * connected since, say) or a failing metric rolls the rollout back; the rollout has succeeded once
 * the window ended and each step metric has its `count` passing measurements (never a silent pass).
 */
async function watchWindow(env: Env, r: Rollout, entry: StepRecord, now: number): Promise<number | null> {
  const db = openDatabase(env.DB);
  const status = await statusOf(db, entry.revision!, settings(env));
  if (status.phase === 'rejected') {
    await abortRollout(env, r, rejectedCause(status, `${describeRevision(r, entry)}, within its rollback window,`), ownActor(r), now);
    return null;
  }
  const metrics = await runWindow(env, r, entry, driver, now);
  if (metrics.kind === 'stopped') return null;
  const ends = Date.parse(entry.windowEndsAt!);
  if (now >= ends && metrics.passed) {
    Object.assign(r, { state: 'succeeded', finishedAt: iso(now), hold: null });
    const saved = await saveRollout(db, r, null);
    await emitSucceeded(env, saved);
    return null;
  }
  // Looked at every tick: a NACK in the window must roll back as soon as it is reported.
  const next = Math.min(now + settings(env).rolloutTickMs, ...(now < ends ? [ends] : []), ...(metrics.at === null ? [] : [metrics.at]));
  await saveRollout(db, r, next);
  return next;
}

/** Commits step `step` (after checking it was not already) and starts waiting for it. */
export async function advance(env: Env, r: Rollout, step: number, actor: Actor, now: number): Promise<number | null> {
  const db = openDatabase(env.DB);
  const weight = r.steps[step]!;
  const kind = kindsOf(r)[step]!;
  const existing = await findCommittedRevision(db, r.id, String(step), lastRevision(r));
  const committed = existing !== undefined ? { ok: true as const, revision: existing, committed: true } : await commitStep(env, r, step, kind, actor);
  if (!committed.ok) {
    await abortRollout(env, r, { reason: 'conflict', message: `${stepName(r, step)} (${describeStep(kind)}) could not be committed: ${committed.message}`, rejections: [] }, actor, now);
    return null;
  }
  const entry: StepRecord = { step, weight, revision: committed.revision, startedAt: iso(now), convergedAt: null, deadline: iso(now + r.timeoutSeconds * 1000), outcome: 'pending' };
  Object.assign(r, { currentStep: step, weight, history: [...r.history, entry] });
  const next = now + settings(env).rolloutTickMs;
  const saved = await saveRollout(db, r, next);
  await emitStep(env, saved, entry, 'started');
  return next;
}

/**
 * Records why the rollout aborts (first, so a crash before the rollback lands resumes it), then
 * commits the rollback and finishes.
 */
export async function abortRollout(env: Env, r: Rollout, cause: AbortCause, actor: Actor, now = Date.now()): Promise<Rollout> {
  const entry = r.history.at(-1);
  const outcomes: Partial<Record<AbortReason, StepRecord['outcome']>> = { rejected: 'rejected', timeout: 'timeout' };
  if (entry?.outcome === 'pending') entry.outcome = outcomes[cause.reason] ?? 'skipped';
  r.abort = { ...cause, revision: entry?.revision ?? null, rollbackRevision: null, at: iso(now) };
  r.state = 'progressing';
  const saved = await saveRollout(openDatabase(env.DB), r, now + settings(env).rolloutTickMs);
  return finishAbort(env, saved, actor);
}

async function finishAbort(env: Env, r: Rollout, actor: Actor): Promise<Rollout> {
  const db = openDatabase(env.DB);
  const existing = await findCommittedRevision(db, r.id, 'rollback', lastRevision(r));
  const result: RollbackResult = existing !== undefined ? { revision: existing } : await commitRollback(env, r, actor);
  r.abort = { ...r.abort!, rollbackRevision: result.revision, ...(result.error ? { rollbackError: result.error } : {}) };
  // The candidate's weight is 0 unless the rollback was refused outright.
  const refused = result.revision === null && result.error !== undefined;
  Object.assign(r, { state: 'aborted', finishedAt: iso(Date.now()), weight: refused ? r.weight : 0 });
  const saved = await saveRollout(db, r, null);
  console.log(JSON.stringify({ level: 'info', msg: 'rollout aborted', rollout: r.id, reason: r.abort.reason, rollbackRevision: result.revision }));
  await emitAborted(env, saved);
  return saved;
}

/** No step recorded: the creating request died after claiming the rollout, maybe after committing step 0. */
async function recoverStart(env: Env, r: Rollout, now: number): Promise<number | null> {
  const db = openDatabase(env.DB);
  const revision = await findCommittedRevision(db, r.id, '0', 0);
  if (revision !== undefined) {
    const entry: StepRecord = { step: 0, weight: r.steps[0]!, revision, startedAt: iso(now), convergedAt: null, deadline: iso(now + r.timeoutSeconds * 1000), outcome: 'pending' };
    // commitChanges writes head + 1, so the base is the revision before.
    Object.assign(r, { baseRevision: revision - 1, currentStep: 0, weight: entry.weight, history: [entry] });
    await saveRollout(db, r, now + settings(env).rolloutTickMs);
    return now + settings(env).rolloutTickMs;
  }
  if (now - Date.parse(r.createdAt) < START_GRACE_MS) return Date.parse(r.createdAt) + START_GRACE_MS;
  r.abort = { reason: 'conflict', message: 'the request that started this rollout did not finish; nothing was committed', revision: null, rejections: [], rollbackRevision: null, at: iso(now) };
  Object.assign(r, { state: 'aborted', finishedAt: iso(now) });
  await saveRollout(db, r, null);
  return null;
}

import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import type { Actor } from './commit-step';
import { abortRollout, advance } from './progress';
import type { Rollout, RolloutAction, StepRecord } from './schema';
import { isFinished, loadRollout, saveRollout } from './store';
import { abortUnstarted } from './analysis/run';

/** What an action did: the rollout after it and when the driver next looks (null: no alarm), or why it was refused. */
export type ActionResult = { ok: true; rollout: Rollout; nextAt: number | null } | { ok: false; status: 404 | 409; detail: string };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A user's action on a rollout, run by its driver so it never interleaves with a step.
 * pause: hold at the current weight (convergence is not judged, the timeout does not run);
 * resume: carry on (a pending step gets a fresh timeout); promote: commit 100% now, then wait for it
 * to converge; abort: roll back now. Repeating pause or resume changes nothing.
 */
export async function applyAction(env: Env, id: number, action: RolloutAction, actor: Actor, reason?: string): Promise<ActionResult> {
  const db = openDatabase(env.DB);
  const r = await loadRollout(db, id);
  const now = Date.now();
  if (!r) return { ok: false, status: 404, detail: `rollout ${id} does not exist` };
  if (isFinished(r)) return { ok: false, status: 409, detail: `rollout ${id} has ${r.state}; it cannot ${action}` };
  if (r.abort) return { ok: false, status: 409, detail: `rollout ${id} is aborting (${r.abort.reason}); it cannot ${action}` };
  const current = r.history.at(-1);
  // Held by a pre-rollout gate: nothing committed yet, so an abort has nothing to roll back.
  if (!current && r.pendingManifest && action === 'abort') {
    await abortUnstarted(env, r, 'manual', reason ?? `aborted by ${actor.author}`, now);
    return { ok: true, rollout: (await loadRollout(db, id))!, nextAt: null };
  }
  if (!current) return { ok: false, status: 409, detail: `rollout ${id} is still starting${r.pendingManifest ? ' (a pre-rollout gate holds its first step)' : ''}; retry` };

  switch (action) {
    case 'pause': {
      if (r.state === 'paused') return { ok: true, rollout: r, nextAt: null };
      r.state = 'paused';
      return { ok: true, rollout: await saveRollout(db, r, null), nextAt: null };
    }
    case 'resume': {
      if (r.state === 'progressing') return { ok: true, rollout: r, nextAt: now };
      r.state = 'progressing';
      if (current.outcome === 'pending') current.deadline = iso(now + r.timeoutSeconds * 1000);
      return { ok: true, rollout: await saveRollout(db, r, now), nextAt: now };
    }
    case 'promote': {
      const wasPaused = r.state === 'paused';
      r.state = 'progressing';
      const last = r.steps.length - 1;
      if (r.currentStep === last) {
        // Already at 100%, so promote is a resume: a paused step's timeout starts again, as resume does.
        if (wasPaused && current.outcome === 'pending') current.deadline = iso(now + r.timeoutSeconds * 1000);
        return { ok: true, rollout: await saveRollout(db, r, now), nextAt: now };
      }
      // The steps jumped over stay in the history, marked skipped, so history[i] is always step i.
      if (current.outcome === 'pending') current.outcome = 'skipped';
      const skipped: StepRecord[] = r.steps.slice(r.currentStep + 1, last).map((weight, i) => ({ step: r.currentStep + 1 + i, weight, revision: null, startedAt: null, convergedAt: null, deadline: null, outcome: 'skipped' }));
      r.history = [...r.history, ...skipped];
      const nextAt = await advance(env, r, last, actor, now);
      return { ok: true, rollout: (await loadRollout(db, id))!, nextAt };
    }
    case 'abort': {
      const rollout = await abortRollout(env, r, { reason: 'manual', message: reason ?? `aborted by ${actor.author}`, rejections: [] }, actor, now);
      return { ok: true, rollout, nextAt: null };
    }
  }
}

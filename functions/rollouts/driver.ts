import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { applyAction, type ActionResult } from './actions';
import type { Actor } from './commit-step';
import type { RolloutDriverRpc } from './driver-stub';
import { tickRollout } from './progress';
import type { RolloutAction } from './schema';
import type { BridgeQueryResult } from '../../xds/bridge-sync/analysis-queries';
import { openDatabase } from '../domain/db/store';
import { loadRollout, saveRollout } from './store';
import { takeBridgeResults } from './analysis/bridge-queries';
import { emitMeasurement } from './events';

const ID_KEY = 'rollout';
/** After an unexpected error (D1 unreachable, say), look again after this. */
const RETRY_MS = 10_000;

/**
 * Drives one rollout (named by its id: which rollout it drives is all it stores). D1 holds the
 * rollout; this object holds only its timer (the alarm, durable across restarts and deploys) and runs
 * the steps and the user's actions one at a time, so an action never interleaves with a step even
 * while either awaits D1.
 */
export class RolloutDriver extends DurableObject<Env> implements RolloutDriverRpc {
  #queue: Promise<unknown> = Promise.resolve();

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #remember(id: number): Promise<void> {
    if ((await this.ctx.storage.get<number>(ID_KEY)) !== id) await this.ctx.storage.put(ID_KEY, id);
  }

  async #arm(at: number | null): Promise<void> {
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  /** The rollout's first step is recorded: look at it at `at`. */
  async start(id: number, at: number): Promise<void> {
    await this.#remember(id);
    await this.#serial(() => this.#arm(at));
  }

  /** pause, resume, promote or abort, serialised with the steps. */
  async act(id: number, action: RolloutAction, actor: Actor, reason?: string): Promise<ActionResult> {
    await this.#remember(id);
    return this.#serial(async () => {
      try {
        const result = await applyAction(this.env, id, action, actor, reason);
        if (result.ok) await this.#arm(result.nextAt);
        return result;
      } catch (err) {
        // Maybe half done (an abort recorded, its rollback not committed): look again soon and carry on
        // from D1, rather than at an alarm set for the end of a long pause (the sweep sees an alarm and waits).
        const at = Date.now() + RETRY_MS;
        const armed = await this.ctx.storage.getAlarm();
        if (armed === null || armed > at) await this.ctx.storage.setAlarm(at);
        throw err;
      }
    });
  }

  /** The safety sweep: a progressing rollout without an alarm gets one now. True when it had none. */
  async wake(id: number): Promise<boolean> {
    await this.#remember(id);
    if ((await this.ctx.storage.getAlarm()) !== null) return false;
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  async bridgeResults(id: number, results: BridgeQueryResult[], bridge: string): Promise<void> {
    await this.#remember(id);
    await this.#serial(async () => {
      const db = openDatabase(this.env.DB);
      const r = await loadRollout(db, id);
      if (!r || r.state !== 'progressing') return;
      const taken = takeBridgeResults(r, results, bridge);
      if (!taken.length) return;
      const saved = await saveRollout(db, r, Date.now());
      await this.ctx.storage.setAlarm(Date.now());
      for (const m of taken) await emitMeasurement(this.env, saved, m);
    });
  }

  override async alarm(): Promise<void> {
    const id = await this.ctx.storage.get<number>(ID_KEY);
    if (id === undefined) return;
    await this.#serial(async () => {
      try {
        await this.#arm(await tickRollout(this.env, id));
      } catch (err) {
        console.log(JSON.stringify({ level: 'error', msg: 'rollout step failed; retrying', rollout: id, error: String((err as Error)?.stack ?? err) }));
        await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      }
    });
  }
}

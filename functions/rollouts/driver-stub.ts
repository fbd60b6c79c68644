import type { Env } from '../env';
import type { ActionResult } from './actions';
import type { Actor } from './commit-step';
import type { RolloutAction } from './schema';
import type { BridgeQueryResult } from '../../xds/bridge-sync/analysis-queries';

/** What a rollout's driver (functions/rollouts/driver.ts, a Durable Object) answers over RPC. */
export interface RolloutDriverRpc {
  /** The rollout's first step is recorded: look at it at `at`. */
  start(id: number, at: number): Promise<void>;
  /** pause, resume, promote or abort, serialised with the steps. */
  act(id: number, action: RolloutAction, actor: Actor, reason?: string): Promise<ActionResult>;
  /** The safety sweep: a progressing rollout without an alarm gets one now. True when it had none. */
  wake(id: number): Promise<boolean>;
  /** A bridge's answers to this rollout's analysis queries (from: bridge), recorded in turn with the steps; the driver looks at once. */
  bridgeResults(id: number, results: BridgeQueryResult[], bridge: string): Promise<void>;
}

/** The Durable Object of one rollout (named by its id). The binding is untyped (env.ts imports nothing): the class implements RolloutDriverRpc. */
export const rolloutStub = (env: Env, id: number) => env.ROLLOUTS.get(env.ROLLOUTS.idFromName(String(id))) as unknown as RolloutDriverRpc;

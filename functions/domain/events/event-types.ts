/** The events a webhook can receive. */
export const EVENT_TYPES = ['revision.converged', 'revision.rejected', 'rollout.step', 'rollout.aborted', 'rollout.succeeded'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

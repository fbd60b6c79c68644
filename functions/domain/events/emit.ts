import type { Env } from '../../env';
import type { EventType } from './event-types';
import { deliveryStatements, wakeDispatcher } from './outbox';

export { EVENT_TYPES, type EventType } from './event-types';

/**
 * Records `type` with its data for every webhook that wants it (the outbox, in D1) and wakes the
 * dispatcher. Never throws: events are advisory, and the caller's own work (a rollout step) must not
 * fail because of them; a failure is logged (without the data). Delivery problems are retried by
 * the dispatcher, and a lost wake-up by the cron sweep.
 */
export async function emitEvent(env: Env, type: EventType, data: Record<string, unknown>): Promise<void> {
  try {
    const statements = await deliveryStatements(env, type, data);
    if (!statements.length) return;
    await env.DB.batch(statements);
  } catch (err) {
    console.error(JSON.stringify({ msg: 'could not record an event', type, error: String(err) }));
    return;
  }
  await wakeDispatcher(env).catch((err) => console.warn(JSON.stringify({ msg: 'could not wake the event dispatcher; the cron sweep will', error: String(err) })));
}

import { DurableObject } from 'cloudflare:workers';
import type { DispatcherRpc } from '../domain/events/outbox';
import type { Env } from '../env';
import { deliverDue } from './deliver';

/**
 * The webhook dispatcher: one instance, whose alarm is the clock of every delivery and retry. D1's
 * outbox holds the truth (what is pending, when it is due); this object only keeps the timer, so a
 * restart loses nothing and the cron sweep can always re-arm it.
 */
export class EventDispatcher extends DurableObject<Env> implements DispatcherRpc {
  /** Deliver what is due at `at` (ms since epoch, default now): moves the alarm earlier, never later. */
  async wake(at: number = Date.now()): Promise<void> {
    // While alarm() runs, getAlarm() is null unless set since: a wake-up then is kept, not lost.
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const next = await deliverDue(this.env);
    if (next !== null) await this.wake(next);
  }
}

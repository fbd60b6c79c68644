import { and, lt, ne } from 'drizzle-orm';
import { deliveries } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { nextDueAt } from './deliver';
import { detectOutcomes } from '../domain/status/outcomes';
import { wakeDispatcher } from '../domain/events/outbox';

/** Finished deliveries stay listed this long (GET /webhooks/{name}/deliveries), then go. */
const RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * The cron safety net for events: judges revision outcomes (in case no status report followed the
 * last change), re-arms the dispatcher when a pending delivery is due (a lost wake-up or alarm), and
 * drops finished deliveries past retention. Never rejects.
 */
export async function sweepEvents(env: Env): Promise<void> {
  await detectOutcomes(env);
  try {
    const db = openDatabase(env.DB);
    await db.delete(deliveries).where(and(ne(deliveries.status, 'pending'), lt(deliveries.createdAt, new Date(Date.now() - RETENTION_MS).toISOString())));
    const due = await nextDueAt(env);
    if (due !== null) await wakeDispatcher(env, due);
  } catch (err) {
    console.warn(JSON.stringify({ msg: 'event sweep failed', error: String(err) }));
  }
}

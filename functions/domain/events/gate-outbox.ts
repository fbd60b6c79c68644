import { and, eq } from 'drizzle-orm';
import { deliveries, webhooks } from '../db/schema';
import { openDatabase } from '../db/store';
import type { Env } from '../../env';
import { wakeDispatcher } from './outbox';

/**
 * Rollout gates go through the webhook outbox: one delivery to one named webhook, so a gate call is
 * signed, screened, timed out and retried exactly as every delivery (functions/events/deliver.ts),
 * and listed with the webhook's deliveries. The rollout reads how it went from the delivery's row.
 */
export const GATE_EVENT = 'rollout.gate';

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A stable id per gate call (`msg_` + hex, no `.`: the signed content is `${id}.${timestamp}.${body}`). */
export async function gateDeliveryId(key: string): Promise<string> {
  return `msg_${hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`gate\n${key}`))).slice(0, 32)}`;
}

/** Queues the call (once per id) and wakes the dispatcher; false when no such webhook is registered. */
export async function enqueueGate(env: Env, webhook: string, id: string, data: Record<string, unknown>): Promise<boolean> {
  const db = openDatabase(env.DB);
  if (!(await db.select({ name: webhooks.name }).from(webhooks).where(eq(webhooks.name, webhook)).get())) return false;
  const createdAt = new Date().toISOString();
  const payload = JSON.stringify({ id, type: GATE_EVENT, createdAt, data });
  await db.insert(deliveries).values({ id, webhook, event: GATE_EVENT, payload, status: 'pending', attempts: 0, nextAttemptAt: createdAt, createdAt }).onConflictDoNothing();
  await wakeDispatcher(env).catch((err) => console.warn(JSON.stringify({ msg: 'could not wake the event dispatcher for a gate; the cron sweep will', error: String(err) })));
  return true;
}

export type GateDelivery = { status: string; attempts: number; lastStatus: number | null; lastError: string | null };

export async function readGateDelivery(env: Env, id: string): Promise<GateDelivery | undefined> {
  return openDatabase(env.DB).select({ status: deliveries.status, attempts: deliveries.attempts, lastStatus: deliveries.lastStatus, lastError: deliveries.lastError }).from(deliveries).where(eq(deliveries.id, id)).get();
}

/** Stops the retries of a gate the rollout no longer waits for (it aborted on the answer). */
export async function cancelGateDelivery(env: Env, id: string, reason: string): Promise<void> {
  await openDatabase(env.DB).update(deliveries).set({ status: 'failed', lastError: reason, nextAttemptAt: null }).where(and(eq(deliveries.id, id), eq(deliveries.status, 'pending')));
}

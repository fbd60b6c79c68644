import type { Env } from '../../env';
import type { EventType } from './event-types';

/** A condition (SQL with its binds) that every insert of an event requires, checked in the same transaction. */
export interface OutboxCondition {
  sql: string;
  params: unknown[];
}

export interface OutboxOptions {
  /** Delivery ids derived from this key and the webhook, so the same event recorded twice is inserted once. */
  dedupeKey?: string;
  when?: OutboxCondition;
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** `msg_` + 32 hex digits: no `.` (the signed content is `${id}.${timestamp}.${body}`). */
async function deliveryId(dedupeKey: string | undefined, webhook: string): Promise<string> {
  if (dedupeKey === undefined) return `msg_${crypto.randomUUID().replaceAll('-', '')}`;
  return `msg_${hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${dedupeKey}\n${webhook}`))).slice(0, 32)}`;
}

const subscribes = (events: string, type: EventType) => {
  const list = JSON.parse(events) as string[];
  return list.length === 0 || list.includes(type);
};

/**
 * The outbox rows for one event: one per webhook subscribed to its type, each with the exact body
 * every attempt sends (its id is the delivery's, stable across retries). Statements only: the caller
 * runs them in one batch, beside whatever must commit with them.
 */
export async function deliveryStatements(env: Env, type: EventType, data: Record<string, unknown>, options: OutboxOptions = {}): Promise<D1PreparedStatement[]> {
  const { results } = await env.DB.prepare('SELECT name, events FROM webhooks').all<{ name: string; events: string }>();
  const createdAt = new Date().toISOString();
  const when = options.when ? ` WHERE ${options.when.sql}` : '';
  const statements: D1PreparedStatement[] = [];
  for (const hook of results.filter((h) => subscribes(h.events, type))) {
    const id = await deliveryId(options.dedupeKey, hook.name);
    const payload = JSON.stringify({ id, type, createdAt, data });
    statements.push(
      env.DB.prepare(`INSERT OR IGNORE INTO deliveries (id, webhook, event, payload, status, attempts, next_attempt_at, created_at) SELECT ?, ?, ?, ?, 'pending', 0, ?, ?${when}`).bind(
        id,
        hook.name,
        type,
        payload,
        createdAt,
        createdAt,
        ...(options.when?.params ?? []),
      ),
    );
  }
  return statements;
}

/** What the webhook dispatcher (functions/events/dispatcher.ts, a Durable Object) answers over RPC. */
export interface DispatcherRpc {
  /** Deliver what is due at `at` (ms since epoch): moves its alarm earlier, never later. */
  wake(at?: number): Promise<void>;
}

/** The single dispatcher instance: one queue, so a delivery is never sent by two workers at once. */
export function dispatcher(env: Env): DispatcherRpc {
  // The binding is untyped (env.ts imports nothing): the class implements DispatcherRpc.
  return env.EVENTS.get(env.EVENTS.idFromName('dispatcher')) as unknown as DispatcherRpc;
}

/** Makes the dispatcher deliver what is due at `at` (default now); harmless when it already will. */
export async function wakeDispatcher(env: Env, at = Date.now()): Promise<void> {
  await dispatcher(env).wake(at);
}

import { and, desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { deliveries, webhooks, type DeliveryRow, type WebhookRow } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { parseQuery } from '../http/query';
import { badRequest, notFound } from '../http/problem';
import { EVENT_TYPES, type EventType } from '../domain/events/emit';
import { DeliveryQuerySchema, WebhookNameSchema, WebhookPutSchema, type Webhook } from './schemas';
import { decryptWebhookSecret, encryptWebhookSecret } from './secret-store';
import { generateSecret } from './signing';
import { targetProblem } from '../domain/net/target-screen';
import { settings } from '../settings';

type App = { Bindings: Env; Variables: AuthVariables };
const DEFAULT_DELIVERIES = 100;

export const webhookView = (row: WebhookRow): Webhook => ({ name: row.name, url: row.url, events: row.events as EventType[], createdAt: row.createdAt, updatedAt: row.updatedAt });

const deliveryView = (row: DeliveryRow) => ({
  id: row.id,
  event: row.event,
  status: row.status,
  attempts: row.attempts,
  lastStatus: row.lastStatus,
  lastError: row.lastError,
  createdAt: row.createdAt,
  deliveredAt: row.deliveredAt,
  nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
});

function nameParam(raw: string): string {
  const parsed = WebhookNameSchema.safeParse(raw);
  if (!parsed.success) throw badRequest(`invalid webhook name ${JSON.stringify(raw)}`, [{ path: 'name', message: parsed.error.issues[0]!.message }]);
  return parsed.data;
}

/** Listed once each, in the order EVENT_TYPES declares them, so a reordered PUT is no change. */
const normaliseEvents = (events: EventType[] = []) => EVENT_TYPES.filter((t) => events.includes(t));

/** The stored ciphertext still holds `secret`: a repeated PUT changes nothing. */
async function holdsSecret(env: Env, row: WebhookRow, secret: string): Promise<boolean> {
  try {
    return (await decryptWebhookSecret(env, row.name, row.secretCipher)) === secret;
  } catch {
    return false;
  }
}

/** Webhooks that receive events (admin only). The signing secret is write-only: shown once when generated, never read back. */
const app = new Hono<App>();
app.use('/webhooks', requireScope('admin'));
app.use('/webhooks/*', requireScope('admin'));

app.get('/webhooks', async (c) => {
  const rows = await openDatabase(c.env.DB).select().from(webhooks).orderBy(webhooks.name);
  return c.json({ items: rows.map(webhookView) });
});

app.put('/webhooks/:name', limitBody(16 * 1024), async (c) => {
  const name = nameParam(c.req.param('name'));
  const body = await parseJsonBody(c, WebhookPutSchema, 'webhook');
  const refused = targetProblem(body.url, settings(c.env).webhookAllowPrivateTargets);
  if (refused) throw badRequest('the webhook URL is not a public receiver; nothing was stored', [{ path: 'url', message: refused }]);
  const db = openDatabase(c.env.DB);
  const events = normaliseEvents(body.events);
  const now = new Date().toISOString();
  const existing = await db.select().from(webhooks).where(eq(webhooks.name, name)).get();

  if (!existing) {
    const secret = body.secret ?? generateSecret();
    const row = { name, url: body.url, events, secretCipher: await encryptWebhookSecret(c.env, name, secret), createdAt: now, updatedAt: now };
    const [created] = await db.insert(webhooks).values(row).onConflictDoNothing().returning();
    if (created) {
      c.header('location', `/api/v1/webhooks/${name}`);
      return c.json({ ...webhookView(created), ...(body.secret === undefined ? { secret } : {}) }, 201);
    }
    // Created by a concurrent request meanwhile: this one is an update of it.
  }
  const current = existing ?? (await db.select().from(webhooks).where(eq(webhooks.name, name)).get());
  if (!current) throw notFound(`webhook ${name} was deleted while this request ran; retry`);
  const sameSecret = body.secret === undefined || (await holdsSecret(c.env, current, body.secret));
  if (current.url === body.url && JSON.stringify(current.events) === JSON.stringify(events) && sameSecret) return c.json(webhookView(current));
  const secretCipher = sameSecret ? current.secretCipher : await encryptWebhookSecret(c.env, name, body.secret!);
  const [updated] = await db.update(webhooks).set({ url: body.url, events, secretCipher, updatedAt: now }).where(eq(webhooks.name, name)).returning();
  if (!updated) throw notFound(`webhook ${name} was deleted while this request ran; retry`);
  return c.json(webhookView(updated));
});

app.get('/webhooks/:name', async (c) => {
  const name = nameParam(c.req.param('name'));
  const row = await openDatabase(c.env.DB).select().from(webhooks).where(eq(webhooks.name, name)).get();
  if (!row) throw notFound(`webhook ${name} does not exist`);
  return c.json(webhookView(row));
});

app.delete('/webhooks/:name', async (c) => {
  const name = nameParam(c.req.param('name'));
  const db = openDatabase(c.env.DB);
  // Its outbox goes with it: nothing is left to send to a receiver no one configured.
  const [removed] = await db.batch([db.delete(webhooks).where(eq(webhooks.name, name)).returning({ name: webhooks.name }), db.delete(deliveries).where(eq(deliveries.webhook, name))]);
  if (!removed.length) throw notFound(`webhook ${name} does not exist`);
  return c.body(null, 204);
});

app.get('/webhooks/:name/deliveries', async (c) => {
  const name = nameParam(c.req.param('name'));
  const query = parseQuery(c.req.url, DeliveryQuerySchema);
  const db = openDatabase(c.env.DB);
  if (!(await db.select({ name: webhooks.name }).from(webhooks).where(eq(webhooks.name, name)).get())) throw notFound(`webhook ${name} does not exist`);
  const where = query.status ? and(eq(deliveries.webhook, name), eq(deliveries.status, query.status)) : eq(deliveries.webhook, name);
  const rows = await db.select().from(deliveries).where(where).orderBy(desc(deliveries.createdAt), desc(deliveries.id)).limit(query.limit ?? DEFAULT_DELIVERIES);
  return c.json({ items: rows.map(deliveryView) });
});

export default app;

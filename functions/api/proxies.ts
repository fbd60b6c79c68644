import { and, desc, eq, gte } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { proxies, type ProxyRow } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { fleetCutoff, forgetGoneProxiesIfDue } from '../domain/status/fleet';
import { isStale } from '../domain/status/proxy-state';
import { conflict, notFound } from '../http/problem';
import { settings } from '../settings';
import type { Proxy } from './status-schemas';

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

const toApi = (row: ProxyRow, now: number, staleMs: number): Proxy => ({
  nodeId: row.nodeId,
  cluster: row.cluster,
  userAgent: row.userAgent,
  labels: row.labels,
  view: row.view,
  transport: row.transport,
  /** The bridge that reported it; null for a REST poller. */
  bridge: row.bridge,
  lastSeen: row.lastSeen,
  stale: isStale(row, now, staleMs),
  // Stored with `nack: null` where a rejection was cleared (see node-tracker); drop those.
  subscriptions: Object.fromEntries(Object.entries(row.versions).map(([k, { nack, ...v }]) => [k, nack ? { ...v, nack } : v])),
});

function waitUntil(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (plain app.request in tests): let it run.
  }
}

/**
 * Every proxy of the fleet, with what it reports per subscription (written in batches by the poll
 * path, and by bridges for their ADS clients). Stale by STATUS_STALE_MS, as revision status judges it
 * (`?staleSeconds=` overrides the bound for one look); gone, so not listed, after STATUS_FORGET_MS.
 */
app.get('/proxies', requireScope('config:read'), async (c) => {
  const staleSeconds = Number(c.req.query('staleSeconds'));
  const { staleMs: defaultStaleMs, forgetMs } = settings(c.env);
  const staleMs = Number.isFinite(staleSeconds) && staleSeconds > 0 ? staleSeconds * 1000 : defaultStaleMs;
  const now = Date.now();
  const rows = await openDatabase(c.env.DB).select().from(proxies).where(gte(proxies.lastSeen, fleetCutoff(now, forgetMs))).orderBy(desc(proxies.lastSeen)).limit(1000);
  forgetGoneProxiesIfDue(c.env, (p) => waitUntil(c, p), now);
  return c.json({ items: rows.map((r) => toApi(r, now, staleMs)) });
});

/**
 * Forgets a stale proxy now, rather than STATUS_FORGET_MS after it was last seen. A live one is a 409:
 * its next poll or report would bring it back at once, with only part of what it holds.
 */
app.delete('/proxies/:node', requireScope('status:write'), async (c) => {
  const nodeId = c.req.param('node');
  const db = openDatabase(c.env.DB);
  const row = await db.select({ lastSeen: proxies.lastSeen, bridge: proxies.bridge }).from(proxies).where(eq(proxies.nodeId, nodeId)).get();
  if (!row) throw notFound(`no proxy "${nodeId}" is in the fleet`);
  const now = Date.now();
  const { staleMs } = settings(c.env);
  if (!isStale(row, now, staleMs)) {
    const ago = Math.round((now - Date.parse(row.lastSeen)) / 1000);
    throw conflict(`proxy "${nodeId}" is live: ${row.bridge ? `bridge ${row.bridge} reported it` : 'it polled'} ${ago}s ago, and its next ${row.bridge ? 'report' : 'poll'} would bring it back; a proxy can be forgotten once it is stale (not seen for ${staleMs / 1000}s)`, [{ path: 'node', message: 'the proxy is live' }]);
  }
  // Only if still stale: a poll that landed meanwhile keeps it.
  await db.delete(proxies).where(and(eq(proxies.nodeId, nodeId), eq(proxies.lastSeen, row.lastSeen)));
  return c.body(null, 204);
});

export default app;

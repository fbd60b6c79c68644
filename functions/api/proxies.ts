import { desc } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { proxies, type ProxyRow } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { isStale } from '../domain/status/proxy-state';
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

/**
 * Every proxy seen, with what it reports per subscription (written in batches by the poll path, and
 * by bridges for their ADS clients). Stale by STATUS_STALE_MS, as revision status judges it;
 * `?staleSeconds=` overrides the bound for one look.
 */
app.get('/proxies', requireScope('config:read'), async (c) => {
  const staleSeconds = Number(c.req.query('staleSeconds'));
  const staleMs = Number.isFinite(staleSeconds) && staleSeconds > 0 ? staleSeconds * 1000 : settings(c.env).staleMs;
  const rows = await openDatabase(c.env.DB).select().from(proxies).orderBy(desc(proxies.lastSeen)).limit(1000);
  const now = Date.now();
  return c.json({ items: rows.map((r) => toApi(r, now, staleMs)) });
});

export default app;

import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { RESOURCE_TYPES, SECRET_TYPE_URL } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { proxies, type ProxyTypeStatus } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { forgetGoneProxiesIfDue } from '../domain/status/fleet';
import { detectOutcomes } from '../domain/status/outcomes';
import { MAX_STATUS_ROW_BYTES } from '../domain/status/poll-tracker';
import { storedBytes } from '../domain/config/d1-limits';
import { badRequest } from '../http/problem';

const MAX_PROXIES = 1000;
/** NACK details can list every rejected resource; a few KB tell what went wrong. */
const MAX_NACK_MESSAGE = 4096;
/** 1,000 proxies with NACK details do not fit the usual 1 MB. */
const MAX_REPORT_BYTES = 4 * 1024 * 1024;
/** D1 binds at most 100 parameters per statement; each row binds 9. */
const ROWS_PER_STATEMENT = 11;

const VIEW_KEY = /^(envoy|grpc)\|(mesh|gw:\S+)$/;
// Bridges report SDS too (secrets are not a view type of RESOURCE_TYPES).
const TYPE_URLS: readonly string[] = [...Object.values(RESOURCE_TYPES), SECRET_TYPE_URL];
const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time, e.g. 2026-01-01T00:00:00Z' });
const typeUrl = z.string().refine((k) => TYPE_URLS.includes(k), `not a type this control plane serves; expected one of ${TYPE_URLS.join(', ')}`);

const TypeReport = z.strictObject({
  /** The version the client last ACKed ('' before its first ACK). */
  acked: z.string().max(256),
  served: z.string().max(256),
  /** The edge revision `served` came from (the snapshots response's `revision`). */
  served_revision: z.int().min(0),
  /** Omitted or null: no (longer a) rejection. */
  nack: z.strictObject({ version: z.string().max(256), message: z.string(), at: isoTime.optional() }).nullish(),
});

const ProxyReport = z.strictObject({
  node_id: z.string().min(1).max(1024),
  cluster: z.string().max(1024).optional(),
  user_agent: z.string().max(256).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  view: z.string().regex(VIEW_KEY, 'expected a view key such as "envoy|mesh", "grpc|mesh" or "envoy|gw:<namespace>/<name>"'),
  last_seen: isoTime,
  types: z.record(typeUrl, TypeReport),
});

export const StatusReport = z.strictObject({
  bridge: z.string().min(1).max(256),
  proxies: z.array(ProxyReport).max(MAX_PROXIES),
});

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function afterResponse(c: Context, work: () => Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work());
  } catch {
    // No execution context (plain app.request in tests): nothing to extend.
  }
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * POST /proxies/status: a bridge reports its ADS clients' ACK/NACK state. Stored exactly as the REST
 * poll path stores its pollers (one row per node, subscriptions merged with json_patch), so
 * /proxies and revision status read both alike. Everything is validated before anything is written.
 */
app.post('/proxies/status', requireScope('status:write'), limitBody(MAX_REPORT_BYTES), async (c) => {
  const report = await parseJsonBody(c, StatusReport, 'status report');
  if (!report.proxies.length) return c.body(null, 204);
  const now = Date.now();
  const at = new Date(now).toISOString();
  const rows = report.proxies.map((p) => {
    const versions: Record<string, ProxyTypeStatus | (Omit<ProxyTypeStatus, 'nack'> & { nack: null })> = {};
    for (const [type, t] of Object.entries(p.types)) {
      versions[type] = {
        acked: t.acked,
        served: t.served,
        servedRevision: t.served_revision,
        // null so the json_patch merge removes a rejection that no longer holds.
        nack: t.nack ? { version: t.nack.version, message: clip(t.nack.message, MAX_NACK_MESSAGE), inferred: false, at: t.nack.at ? new Date(t.nack.at).toISOString() : at } : null,
        updatedAt: at,
      };
    }
    return {
      nodeId: p.node_id,
      cluster: p.cluster ?? '',
      userAgent: p.user_agent ?? '',
      labels: p.labels ?? {},
      view: p.view,
      transport: 'ads',
      versions: versions as Record<string, ProxyTypeStatus>,
      // One format for every row (lastSeen is compared as text), and a bridge clock running ahead
      // must not keep a proxy fresh.
      lastSeen: new Date(Math.min(Date.parse(p.last_seen), now)).toISOString(),
      bridge: report.bridge,
    };
  });
  // Each proxy is one row: one past the bound is refused here, as D1 would refuse the whole report.
  const tooLarge = rows.flatMap((row, i) => {
    const bytes = storedBytes(row);
    return bytes > MAX_STATUS_ROW_BYTES ? [{ path: `proxies[${i}]`, message: `stored as ${bytes} bytes; a proxy's status row holds at most ${MAX_STATUS_ROW_BYTES}` }] : [];
  });
  if (tooLarge.length) throw badRequest('status report has proxies too large to store; nothing was stored', tooLarge);
  const db = openDatabase(c.env.DB);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      db
        .insert(proxies)
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflictDoUpdate({
          target: proxies.nodeId,
          set: {
            cluster: sql`excluded.cluster`,
            userAgent: sql`excluded.user_agent`,
            labels: sql`excluded.labels`,
            view: sql`excluded.view`,
            transport: sql`excluded.transport`,
            lastSeen: sql`excluded.last_seen`,
            bridge: sql`excluded.bridge`,
            // Merged as the poll path merges (RFC 7396): subscriptions this report does not name stay.
            versions: sql`json_patch(${proxies.versions}, excluded.versions)`,
          },
        }),
    );
  }
  // One batch: one transaction, so a report is stored whole or not at all.
  await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  // A revision may have converged or been rejected just now: judged after the answer, so the bridge is not held.
  afterResponse(c, () => detectOutcomes(c.env));
  forgetGoneProxiesIfDue(c.env, (p) => afterResponse(c, () => p), now);
  return c.body(null, 204);
});

export default app;

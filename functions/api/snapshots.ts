import { Hono } from 'hono';
import { z } from 'zod';
import { DELIVERY_ORDER, hashContent, RESOURCE_TYPES, selectView, viewKey, type Snapshot, type View } from '../../xds';
import { requireScope, type AuthVariables } from '../auth/require-scope';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { currentConfig, isServingStale, memoBody, snapshotFor } from '../xds/snapshot-cache';

/** A bridge serves many clients, but few classes of them: a thousand is far beyond any real one. */
const MAX_NODE_CLASSES = 1000;

const NodeClass = z.strictObject({
  user_agent_name: z.string().max(256).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const SnapshotsRequest = z.strictObject({
  /** The head revision the bridge already holds: equal to ours means nothing changed (304). */
  revision: z.int().min(0).optional(),
  nodes: z.array(NodeClass).max(MAX_NODE_CLASSES).optional(),
  /** View versions the bridge already holds, by view key: those views are left out. */
  have: z.record(z.string(), z.string()).optional(),
});

/** One version for a whole view, so a bridge can tell with one string whether anything in it changed. */
const viewVersion = (snapshot: Snapshot) => hashContent(DELIVERY_ORDER.map((t) => snapshot.types[t].version).join('\n'));

/** A view as the bridge receives it: per type URL its version and resources (proto3 JSON with `@type`). */
function viewJson(snapshot: Snapshot): string {
  const types = Object.fromEntries(
    DELIVERY_ORDER.map((t) => [RESOURCE_TYPES[t], { version: snapshot.types[t].version, resources: [...snapshot.types[t].resources.values()].map((r) => r.json) }]),
  );
  return JSON.stringify({ version: viewVersion(snapshot), types });
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * POST /snapshots: every view a bridge's clients need, in one request, rendered with ADS config
 * sources. Served from the same per-isolate cache as REST xDS (renders and bodies memoised), so a
 * bridge polling it costs no more than an Envoy polling CDS.
 */
app.post('/snapshots', requireScope('xds:read'), limitBody(), async (c) => {
  const req = await parseJsonBody(c, SnapshotsRequest, 'snapshots request');
  const config = await currentConfig(c.env);
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-xdsflare-revision': String(config.revision) };
  if (isServingStale()) headers['x-xdsflare-stale'] = 'true';
  if (req.revision === config.revision) return c.body(null, 304, headers);

  const views: string[] = [];
  const distinct = new Map<string, View>();
  for (const n of req.nodes ?? []) {
    const view = selectView(config.ir, { id: '', labels: n.labels ?? {}, ...(n.user_agent_name ? { userAgentName: n.user_agent_name } : {}) });
    const key = viewKey(view);
    views.push(key);
    distinct.set(key, view);
  }
  const entries: string[] = [];
  for (const [key, view] of distinct) {
    const { key: renderKey, snapshot } = snapshotFor(config, view, { mode: 'ads' });
    if (req.have?.[key] === viewVersion(snapshot)) continue;
    entries.push(`${JSON.stringify(key)}:${memoBody(config, `${renderKey}\nbridge-view`, () => viewJson(snapshot))}`);
  }
  // Assembled from memoised pieces: only the envelope is serialised per request.
  const body = `{"revision":${config.revision},"views":${JSON.stringify(views)},"snapshots":{${entries.join(',')}}}`;
  return c.body(body, 200, { ...headers, 'content-type': 'application/json' });
});

export default app;

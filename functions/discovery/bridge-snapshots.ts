import { Hono } from 'hono';
import { DELIVERY_ORDER, hashContent, nodeInfoOfClass, RESOURCE_TYPES, REVISION_HEADER, SECRET_TYPE_URL, selectView, SnapshotsRequestSchema, STALE_HEADER, viewKey, viewLabelKeys, type BridgeView, type RenderedView, type SnapshotsResponse, type View } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { hasScope } from '../domain/auth/tokens';
import { secretsForView, type ServedSecrets } from '../domain/secrets/view-secrets';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { currentConfig, isServingStale, memoBody, snapshotFor } from '../domain/config/config-cache';

/** One version for a whole view, so a bridge can tell with one string whether anything in it changed (its secrets too). */
const viewVersion = (snapshot: RenderedView, secrets?: ServedSecrets) =>
  hashContent([...DELIVERY_ORDER.map((t) => snapshot.types[t].version), ...(secrets?.resources.length ? [secrets.version] : [])].join('\n'));

/** A view as the bridge receives it: per type URL its version and resources (proto3 JSON with `@type`). */
function viewJson(snapshot: RenderedView, secrets?: ServedSecrets): string {
  const types: BridgeView['types'] = Object.fromEntries(
    DELIVERY_ORDER.map((t) => [RESOURCE_TYPES[t], { version: snapshot.types[t].version, resources: [...snapshot.types[t].resources.values()].map((r) => r.json) }]),
  );
  if (secrets?.resources.length) types[SECRET_TYPE_URL] = { version: secrets.version, resources: secrets.resources };
  const view: BridgeView = { version: viewVersion(snapshot, secrets), types };
  return JSON.stringify(view);
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * POST /snapshots: every view a bridge's clients need, in one request, rendered with ADS config
 * sources. Served from the same per-isolate cache as REST xDS (renders and bodies memoised), so a
 * bridge polling it costs no more than an Envoy polling CDS.
 */
app.post('/snapshots', requireScope('xds:read'), limitBody(), async (c) => {
  const req = await parseJsonBody(c, SnapshotsRequestSchema, 'snapshots request');
  const config = await currentConfig(c.env);
  const headers: Record<string, string> = { 'cache-control': 'no-store', [REVISION_HEADER]: String(config.revision) };
  if (isServingStale()) headers[STALE_HEADER] = 'true';
  if (req.revision === config.revision) return c.body(null, 304, headers);

  const views: string[] = [];
  const distinct = new Map<string, View>();
  for (const n of req.nodes ?? []) {
    const view = selectView(config.ir, nodeInfoOfClass(n));
    const key = viewKey(view);
    views.push(key);
    distinct.set(key, view);
  }
  // A bridge whose token may read secrets gets, per view, the Secrets that view references (SDS over ADS).
  const withSecrets = hasScope(c.get('principal'), 'secrets:read');
  const entries: string[] = [];
  for (const [key, view] of distinct) {
    const { key: renderKey, snapshot } = snapshotFor(config, view, { mode: 'ads' });
    const secrets = withSecrets ? await secretsForView(c.env, config, view, snapshot) : undefined;
    if (req.have?.[key] === viewVersion(snapshot, secrets)) continue;
    entries.push(`${JSON.stringify(key)}:${memoBody(config, `${renderKey}\nbridge-view${withSecrets ? '+secrets' : ''}`, () => viewJson(snapshot, secrets))}`);
  }
  // Assembled from memoised pieces: only the envelope is serialised per request.
  // labelKeys: the only labels views depend on; a bridge groups its proxies by them (viewLabelKeys).
  const envelope: Omit<SnapshotsResponse, 'snapshots'> = { revision: config.revision, views, labelKeys: viewLabelKeys(config.ir) };
  const body = `${JSON.stringify(envelope).slice(0, -1)},"snapshots":{${entries.join(',')}}}`;
  return c.body(body, 200, { ...headers, 'content-type': 'application/json' });
});

export default app;

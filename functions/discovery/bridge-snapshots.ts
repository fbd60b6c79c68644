import { Hono } from 'hono';
import { z } from 'zod';
import { DELIVERY_ORDER, hashContent, RESOURCE_TYPES, SECRET_TYPE_URL, selectView, viewKey, viewLabelKeys, type NodeInfo, type Snapshot, type View } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { hasScope } from '../domain/auth/tokens';
import { secretsForView, type ServedSecrets } from '../domain/secrets/view-secrets';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { currentConfig, isServingStale, memoBody, snapshotFor } from '../domain/config/config-cache';

/** A bridge serves many clients, but few classes of them: a thousand is far beyond any real one. */
const MAX_NODE_CLASSES = 1000;

const NodeClass = z.strictObject({
  user_agent_name: z.string().max(256).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** For exportTo: node.metadata.NAMESPACE (or namespace) of the class's proxies. */
  namespace: z.string().max(253).optional(),
  /** For localityLbSetting: node.locality of the class's proxies. */
  locality: z.strictObject({ region: z.string().max(256).optional(), zone: z.string().max(256).optional(), sub_zone: z.string().max(256).optional() }).optional(),
});
type NodeClass = z.infer<typeof NodeClass>;

/** A node class as the view selector sees a node. */
const nodeInfoOf = (n: NodeClass): NodeInfo => {
  const { region, zone, sub_zone: subZone } = n.locality ?? {};
  const locality = { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
  return {
    id: '',
    labels: n.labels ?? {},
    ...(n.user_agent_name ? { userAgentName: n.user_agent_name } : {}),
    ...(n.namespace ? { namespace: n.namespace } : {}),
    ...(Object.keys(locality).length ? { locality } : {}),
  };
};

export const SnapshotsRequest = z.strictObject({
  /** The head revision the bridge already holds: equal to ours means nothing changed (304). */
  revision: z.int().min(0).optional(),
  nodes: z.array(NodeClass).max(MAX_NODE_CLASSES).optional(),
  /** View versions the bridge already holds, by view key: those views are left out. */
  have: z.record(z.string(), z.string()).optional(),
});

/** One version for a whole view, so a bridge can tell with one string whether anything in it changed (its secrets too). */
const viewVersion = (snapshot: Snapshot, secrets?: ServedSecrets) =>
  hashContent([...DELIVERY_ORDER.map((t) => snapshot.types[t].version), ...(secrets?.resources.length ? [secrets.version] : [])].join('\n'));

/** A view as the bridge receives it: per type URL its version and resources (proto3 JSON with `@type`). */
function viewJson(snapshot: Snapshot, secrets?: ServedSecrets): string {
  const types = Object.fromEntries(
    DELIVERY_ORDER.map((t) => [RESOURCE_TYPES[t], { version: snapshot.types[t].version, resources: [...snapshot.types[t].resources.values()].map((r) => r.json) }]),
  );
  if (secrets?.resources.length) types[SECRET_TYPE_URL] = { version: secrets.version, resources: secrets.resources };
  return JSON.stringify({ version: viewVersion(snapshot, secrets), types });
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
    const view = selectView(config.ir, nodeInfoOf(n));
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
  const body = `{"revision":${config.revision},"views":${JSON.stringify(views)},"labelKeys":${JSON.stringify(viewLabelKeys(config.ir))},"snapshots":{${entries.join(',')}}}`;
  return c.body(body, 200, { ...headers, 'content-type': 'application/json' });
});

export default app;

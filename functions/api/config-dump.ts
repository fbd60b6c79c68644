import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { RESOURCE_TYPES, selectView, type NodeInfo, type ResourceType } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { proxies } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { settings } from '../settings';
import { notFound } from '../http/problem';
import { currentConfig, renderedViewOf } from '../domain/config/config-cache';
import { parseLabelSelector } from './label-selector';
import type { ConfigDump } from './status-schemas';

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/** `a=b,c=d` → labels (the equality subset of selector syntax, validated by the same parser). */
function labelsOf(raw: string | undefined): Record<string, string> {
  parseLabelSelector(raw, 'labels');
  const labels: Record<string, string> = {};
  for (const term of (raw ?? '').split(',').filter((t) => t.includes('='))) {
    const [k, v] = term.split(/==?/) as [string, string];
    labels[k.trim()] = v.trim();
  }
  return labels;
}

/** `region/zone/sub-zone` (any prefix) → a node's locality. */
function localityOf(raw: string | undefined): NodeInfo['locality'] {
  if (!raw) return undefined;
  const [region, zone, subZone] = raw.split('/');
  return { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
}

/**
 * What a proxy receives, as Envoy's /config_dump would show it: `?node=<id>` for a node that has
 * polled, or `?labels=app=web&client=envoy|grpc` for a hypothetical one; `?namespace=` and
 * `?locality=region/zone/sub-zone` give either the namespace (exportTo) and locality
 * (localityLbSetting) the view depends on. REST config sources name `?xdsCluster=` (default
 * xds_cluster); `?mode=ads` renders them as the bridge's clients get them.
 */
app.get('/config_dump', requireScope('config:read'), async (c) => {
  const nodeId = c.req.query('node');
  let node: NodeInfo;
  if (nodeId) {
    const row = await openDatabase(c.env.DB).select().from(proxies).where(eq(proxies.nodeId, nodeId)).get();
    if (!row) throw notFound(`node ${nodeId} has not polled this control plane (or its status is not flushed yet)`);
    node = { id: row.nodeId, cluster: row.cluster, userAgentName: row.userAgent, labels: row.labels };
  } else {
    node = { id: '', labels: labelsOf(c.req.query('labels')), userAgentName: c.req.query('client') === 'grpc' ? 'gRPC' : 'envoy' };
  }
  // Status rows keep no namespace or locality: the query names them.
  const namespace = c.req.query('namespace');
  const locality = localityOf(c.req.query('locality'));
  if (namespace) node.namespace = namespace;
  if (locality) node.locality = locality;
  const config = await currentConfig(c.env);
  const view = selectView(config.selector, node);
  const subscriber =
    c.req.query('mode') === 'ads'
      ? ({ mode: 'ads' } as const)
      : ({ mode: 'rest', xdsCluster: c.req.query('xdsCluster') || 'xds_cluster', refreshDelay: settings(c.env).refreshDelay } as const);
  const snapshot = await renderedViewOf(c.env, config, view, subscriber);
  const types = Object.keys(RESOURCE_TYPES) as ResourceType[];
  return c.json({
    revision: config.revision,
    view: snapshot.view,
    configs: Object.fromEntries(types.map((t) => [t, { version_info: snapshot.types[t].version, type_url: RESOURCE_TYPES[t], resources: [...snapshot.types[t].resources.values()].map((r) => r.json) }])) as ConfigDump['configs'],
  } satisfies ConfigDump);
});

export default app;

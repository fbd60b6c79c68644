import { Hono, type Context } from 'hono';
import { NAMED_TYPES, RESOURCE_TYPES, selectView, versionFor, viewKey, type ResourceType, type Subscriber } from '../../xds';
import { authenticate, bearerToken, hasScope } from '../domain/auth/tokens';
import type { Env } from '../env';
import { settings } from '../settings';
import { limitBody } from '../http/body';
import { forbidden, notFound, ProblemError, unauthorized } from '../http/problem';
import { parseDiscoveryRequest, type RestDiscoveryRequest } from './discovery-request';
import { CDS_SUBSCRIPTION, clustersNotYetAccepted, rememberClusterSet } from './make-before-break';
import { flushNodesIfDue, recordPoll, reportedVersion } from '../domain/status/poll-tracker';
import { currentConfig, isServingStale, memoBody, snapshotFor } from '../domain/config/config-cache';

/**
 * Only a recent CDS report may hold routes back: the node's CDS polls may be landing on other
 * isolates, and an old memory must not hold its routes forever.
 */
const CDS_REPORT_MAX_AGE_MS = 10_000;

/** REST-JSON xDS: POST /v3/discovery:<type>, exactly as Envoy's HTTP subscription polls it (xds-protocol.md §1). */
const discovery = new Hono<{ Bindings: Env }>();

function resourceTypeOfPath(path: string): ResourceType {
  let type = '';
  try {
    type = decodeURIComponent(path).slice('/v3/discovery:'.length);
  } catch {
    // Malformed percent-encoding: not a path Envoy sends.
  }
  if (path.startsWith('/v3/discovery:') && Object.hasOwn(RESOURCE_TYPES, type)) return type as ResourceType;
  throw notFound(`no xDS resource type at ${path}; this control plane serves /v3/discovery:clusters, :endpoints, :listeners, :routes and :secrets`);
}

/** A token in node.metadata.xds_token (Envoy cannot add headers to polls) or a bearer header (the bridge). */
async function authorize(c: Context<{ Bindings: Env }>, req: RestDiscoveryRequest): Promise<void> {
  const token = req.token ?? bearerToken(c.req.header('authorization'));
  if (!token) {
    if (settings(c.env).allowAnonymousXds) return;
    throw unauthorized('xDS reads need a token with scope xds:read, in node.metadata.xds_token or an Authorization: Bearer header');
  }
  const principal = await authenticate(c.env, token);
  if (!principal) throw unauthorized('invalid xDS token');
  if (!hasScope(principal, 'xds:read')) throw forbidden(`token "${principal.name}" lacks scope xds:read`);
}

/**
 * Config sources in the answer point back at the poller's own xDS cluster: Envoy sends that
 * cluster's name as the Host of every poll. The bridge asks for ADS config sources instead.
 */
function subscriberOf(c: Context<{ Bindings: Env }>): Subscriber {
  if (c.req.header('x-xds-subscriber') === 'ads') return { mode: 'ads' };
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  return { mode: 'rest', xdsCluster: host, refreshDelay: settings(c.env).refreshDelay };
}

discovery.all('/v3/*', limitBody(), async (c) => {
  const type = resourceTypeOfPath(c.req.path);
  if (c.req.method !== 'POST') throw new ProblemError({ status: 405, title: 'Method Not Allowed', detail: 'xDS discovery requests are POSTs', headers: { allow: 'POST' } });
  const req = parseDiscoveryRequest(await c.req.text());
  await authorize(c, req);

  const config = await currentConfig(c.env);
  const view = selectView(config.ir, req.node);
  const subscriber = subscriberOf(c);
  const { key, snapshot } = snapshotFor(config, view, subscriber);
  rememberClusterSet(snapshot);

  const named = NAMED_TYPES.has(type);
  // EDS and RDS answer exactly the names asked for; CDS and LDS are full state.
  const names = named ? req.resourceNames : [];
  const typeSnapshot = snapshot.types[type];
  const resources = named ? names.flatMap((n) => typeSnapshot.resources.get(n) ?? []) : [...typeSnapshot.resources.values()];
  const version = versionFor(snapshot, type, names);
  const typeUrl = RESOURCE_TYPES[type];
  const subscription = named ? `${typeUrl}#${names.join(',')}` : typeUrl;

  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-xdsflare-revision': String(config.revision) };
  if (isServingStale()) headers['x-xdsflare-stale'] = 'config store unavailable; serving the last snapshot';

  // 304 only to a node that already holds this exact version; an empty version always gets content.
  let unchanged = req.versionInfo !== '' && req.versionInfo === version;
  let held = false;
  if (!unchanged && req.versionInfo !== '') {
    const missing = clustersNotYetAccepted(type, resources, reportedVersion(req.node.id, CDS_SUBSCRIPTION, CDS_REPORT_MAX_AGE_MS));
    if (missing.length) {
      // Make before break: keep the node on its current routes until it has accepted the clusters.
      unchanged = held = true;
      headers['x-xdsflare-held'] = `waiting for the node to accept clusters ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`;
    }
  }
  recordPoll({
    node: req.node,
    view: viewKey(view),
    transport: subscriber.mode === 'ads' ? 'ads' : 'rest',
    subscription,
    reported: req.versionInfo,
    served: unchanged ? req.versionInfo : version,
    // A held answer is the node's old version, not this revision's: it has not reached this revision.
    ...(held ? {} : { servedRevision: config.revision }),
  });
  flushNodesIfDue(c.env, (p) => waitUntil(c, p));

  if (unchanged) return c.body(null, 304, headers);
  // Names are client-chosen: key them unambiguously (JSON), so no request can share another's entry.
  const body = memoBody(config, `${key}\n${type}\n${JSON.stringify(names)}`, () =>
    JSON.stringify({ version_info: version, type_url: typeUrl, resources: resources.map((r) => r.json) }),
  );
  // Uncompressed: Envoy's REST fetcher cannot decompress.
  return c.body(body, 200, { ...headers, 'content-type': 'application/json' });
});

function waitUntil(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (plain app.request in tests): the flush runs detached.
  }
}

export default discovery;

import { Hono, type Context } from 'hono';
import { answerTexts, NAMED_TYPES, publishedAnswer, RESOURCE_TYPES, selectView, versionFor, viewKey, type ResourceType, type Subscriber, type View } from '../../xds';
import { authenticate, bearerToken, hasScope, type Principal } from '../domain/auth/tokens';
import { requireIdentityAllows } from './identity-check';
import type { Env } from '../env';
import { settings } from '../settings';
import { limitBody } from '../http/body';
import { textStream } from '../http/text-stream';
import { forbidden, notFound, ProblemError, unauthorized } from '../http/problem';
import { parseDiscoveryRequest, type RestDiscoveryRequest } from './discovery-request';
import { CDS_SUBSCRIPTION, clustersNotYetAccepted, mayNeedClusters, rememberClusterSet } from './make-before-break';
import { flushNodesIfDue, recordPoll, reportedVersion } from '../domain/status/poll-tracker';
import {
  blobStore,
  currentConfig,
  isServingStale,
  MAX_MEMO_BODY_CHARS,
  memoisedBody,
  memoVersion,
  publishedViewOf,
  rememberBody,
  renderedViewOf,
  renderKeyOf,
  restValuesOf,
  type CachedConfig,
} from '../domain/config/config-cache';

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
async function authorize(c: Context<{ Bindings: Env }>, req: RestDiscoveryRequest): Promise<Principal | undefined> {
  const token = req.token ?? bearerToken(c.req.header('authorization'));
  if (!token) {
    if (settings(c.env).allowAnonymousXds) return undefined;
    throw unauthorized('xDS reads need a token with scope xds:read, in node.metadata.xds_token or an Authorization: Bearer header');
  }
  const principal = await authenticate(c.env, token);
  if (!principal) throw unauthorized('invalid xDS token');
  if (!hasScope(principal, 'xds:read')) throw forbidden(`token "${principal.name}" lacks scope xds:read`);
  return principal;
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

/** One type's answer for one view, from its published form (streamed from R2) or, for views nobody published, rendered. */
interface Answer {
  version: string;
  /** The resources as JSON (parsed on demand: only make-before-break asks). */
  resources: () => Promise<Record<string, unknown>[]>;
  /** The `resources` array's contents, comma-separated. */
  texts: (onChunkNames?: (names: string[]) => void) => AsyncGenerator<string>;
  /** Bytes of the answer when known up front (full-state published types): small ones are memoised. */
  size?: number;
  /** The view's CDS version now (for make-before-break). */
  cdsVersion: string;
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function collect(texts: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const t of texts) text += t;
  return text;
}

async function answerOf(env: Env, config: CachedConfig, view: View, subscriber: Subscriber, type: ResourceType, names: string[] | undefined): Promise<Answer> {
  const published = publishedViewOf(env, config, view, subscriber);
  if (published) {
    const store = blobStore(env);
    const rest = restValuesOf(subscriber);
    const pv = await published;
    const answer = await publishedAnswer(store, pv.types[type], names, rest);
    const texts = (onChunkNames?: (names: string[]) => void) => answerTexts(store, answer, rest, onChunkNames);
    return {
      version: answer.version,
      resources: async () => JSON.parse(`[${await collect(texts())}]`) as Record<string, unknown>[],
      texts,
      ...(names ? {} : { size: pv.types[type].items.bytes }),
      cdsVersion: (await publishedAnswer(store, pv.types.clusters, undefined, rest)).version,
    };
  }
  const rendered = await renderedViewOf(env, config, view, subscriber);
  const t = rendered.types[type];
  const resources = names ? names.flatMap((n) => t.resources.get(n) ?? []) : [...t.resources.values()];
  if (type === 'clusters') rememberClusterSet(t.version, t.resources.keys());
  return {
    version: versionFor(rendered, type, names),
    resources: async () => resources.map((r) => r.json),
    texts: () => once(resources.map((r) => JSON.stringify(r.json)).join(',')),
    cdsVersion: rendered.types.clusters.version,
  };
}

discovery.all('/v3/*', limitBody(), async (c) => {
  const type = resourceTypeOfPath(c.req.path);
  if (c.req.method !== 'POST') throw new ProblemError({ status: 405, title: 'Method Not Allowed', detail: 'xDS discovery requests are POSTs', headers: { allow: 'POST' } });
  const req = parseDiscoveryRequest(await c.req.text());
  const principal = await authorize(c, req);

  const config = await currentConfig(c.env);
  await requireIdentityAllows(c.env, config.selector, principal, req.node);
  const view = selectView(config.selector, req.node);
  const subscriber = subscriberOf(c);

  const named = NAMED_TYPES.has(type);
  // EDS and RDS answer exactly the names asked for; CDS and LDS are full state.
  const names = named ? req.resourceNames : undefined;
  const typeUrl = RESOURCE_TYPES[type];
  const subscription = named ? `${typeUrl}#${names!.join(',')}` : typeUrl;
  // Names are client-chosen: key them unambiguously (JSON), so no request can share another's entry.
  const answerKey = `${renderKeyOf(view, subscriber)}\n${type}\n${JSON.stringify(names ?? [])}`;

  // An unchanged poll is answered from memory: the version memoised, nothing read.
  let answer: Answer | undefined;
  const version = await memoVersion(config, answerKey, async () => (answer = await answerOf(c.env, config, view, subscriber, type, names)).version);

  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-xdsflare-revision': String(config.revision) };
  if (isServingStale()) headers['x-xdsflare-stale'] = 'config store unavailable; serving the last snapshot';

  // 304 only to a node that already holds this exact version; an empty version always gets content.
  let unchanged = req.versionInfo !== '' && req.versionInfo === version;
  let held = false;
  if (!unchanged && req.versionInfo !== '' && mayNeedClusters(type)) {
    answer ??= await answerOf(c.env, config, view, subscriber, type, names);
    const a = answer;
    const reported = reportedVersion(req.node.id, CDS_SUBSCRIPTION, CDS_REPORT_MAX_AGE_MS);
    const missing = reported && reported !== a.cdsVersion ? clustersNotYetAccepted(type, await a.resources(), reported, a.cdsVersion) : [];
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
  const prefix = `{"version_info":${JSON.stringify(version)},"type_url":${JSON.stringify(typeUrl)},"resources":[`;
  const suffix = ']}';
  // Uncompressed: Envoy's REST fetcher cannot decompress.
  const jsonHeaders = { ...headers, 'content-type': 'application/json' };
  const memo = memoisedBody(config, answerKey);
  if (memo !== undefined) return c.body(memo, 200, jsonHeaders);
  answer ??= await answerOf(c.env, config, view, subscriber, type, names);
  const a = answer;
  const cds = type === 'clusters' ? new Set<string>() : undefined;
  const onChunkNames = cds && ((n: string[]) => n.forEach((name) => cds.add(name)));
  if (a.size !== undefined && a.size <= MAX_MEMO_BODY_CHARS) {
    const body = prefix + (await collect(a.texts(onChunkNames))) + suffix;
    if (cds) rememberClusterSet(a.version, cds);
    rememberBody(config, answerKey, body);
    return c.body(body, 200, jsonHeaders);
  }
  // Large answers stream from R2 a few chunks at a time, never whole in memory.
  const texts = a.texts(onChunkNames);
  const body = (async function* () {
    yield prefix;
    yield* texts;
    yield suffix;
  })();
  const stream = textStream(body, () => cds && rememberClusterSet(a.version, cds));
  return c.body(stream, 200, jsonHeaders);
});

function waitUntil(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (plain app.request in tests): the flush runs detached.
  }
}

export default discovery;

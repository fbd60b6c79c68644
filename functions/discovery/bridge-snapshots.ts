import { Hono } from 'hono';
import {
  answerTexts,
  DELIVERY_ORDER,
  getView,
  hashContent,
  nodeInfoOfClass,
  publishedAnswer,
  RESOURCE_TYPES,
  REVISION_HEADER,
  SECRET_TYPE_URL,
  selectView,
  SnapshotsRequestSchema,
  STALE_HEADER,
  viewChanges,
  viewKey,
  viewLabelKeys,
  type PublishedView,
  type ResourceType,
  type SnapshotsResponse,
  type View,
} from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { refusedClasses } from './bridge-identities';
import { authEpochNow, hasScope } from '../domain/auth/tokens';
import { secretsForView, type ServedSecrets } from '../domain/secrets/view-secrets';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { textStream } from '../http/text-stream';
import {
  blobStore,
  currentConfig,
  isServingStale,
  MAX_MEMO_BODY_CHARS,
  memoisedBody,
  publishedViewKeyOf,
  publishedViewOf,
  rememberBody,
  renderedViewOf,
  renderKeyOf,
  sdsNamesOfView,
  secretStateOf,
  type CachedConfig,
} from '../domain/config/config-cache';

/** A view's types as the bridge receives them: per type its version and its resources' texts (comma-separated). */
interface ViewTypes {
  versions: Record<ResourceType, string>;
  texts: (type: ResourceType) => AsyncGenerator<string>;
  /** Bytes of the resources when published (what decides whether the view's JSON is memoised). */
  size?: number;
  /** The published view and the key of its index (what a bridge names in `since`), when it is published. */
  published?: PublishedIndex;
}

interface PublishedIndex {
  view: PublishedView;
  index: string;
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function viewTypesOf(env: Env, config: CachedConfig, view: View): Promise<ViewTypes> {
  const published = publishedViewOf(env, config, view, { mode: 'ads' });
  const index = publishedViewKeyOf(config, view, { mode: 'ads' });
  if (published && index) {
    const pv = await published;
    const store = blobStore(env);
    return {
      versions: Object.fromEntries(DELIVERY_ORDER.map((t) => [t, pv.types[t].version])) as Record<ResourceType, string>,
      texts: async function* (t) {
        yield* answerTexts(store, await publishedAnswer(store, pv.types[t], undefined));
      },
      size: DELIVERY_ORDER.reduce((n, t) => n + pv.types[t].items.bytes, 0),
      published: { view: pv, index },
    };
  }
  const snapshot = await renderedViewOf(env, config, view, { mode: 'ads' });
  return {
    versions: Object.fromEntries(DELIVERY_ORDER.map((t) => [t, snapshot.types[t].version])) as Record<ResourceType, string>,
    texts: (t) => once([...snapshot.types[t].resources.values()].map((r) => JSON.stringify(r.json)).join(',')),
  };
}

/** One version for a whole view, so a bridge can tell with one string whether anything in it changed (its secrets too). */
const viewVersion = (types: ViewTypes, secrets?: ServedSecrets) => hashContent([...DELIVERY_ORDER.map((t) => types.versions[t]), ...(secrets?.resources.length ? [secrets.version] : [])].join('\n'));

const indexField = (types: ViewTypes) => (types.published ? `,"index":${JSON.stringify(types.published.index)}` : '');
const secretsEntry = (secrets?: ServedSecrets) => (secrets?.resources.length ? `${JSON.stringify(SECRET_TYPE_URL)}:${JSON.stringify({ version: secrets.version, resources: secrets.resources })}` : '');

/** A view as the bridge receives it (BridgeView): per type URL its version and resources (proto3 JSON with `@type`). */
async function* viewJson(types: ViewTypes, secrets?: ServedSecrets): AsyncGenerator<string> {
  yield `{"version":${JSON.stringify(viewVersion(types, secrets))}${indexField(types)},"types":{`;
  for (const [i, t] of DELIVERY_ORDER.entries()) {
    yield `${i ? ',' : ''}${JSON.stringify(RESOURCE_TYPES[t])}:{"version":${JSON.stringify(types.versions[t])},"resources":[`;
    yield* types.texts(t);
    yield ']}';
  }
  if (secretsEntry(secrets)) yield `,${secretsEntry(secrets)}`;
  yield '}}';
}

/**
 * A view as changes since the published view `base` (BridgeView with `since`): per type what changed
 * (see viewChanges), secrets whole (few and small). Reads only the chunks the two do not share.
 */
async function changesJson(env: Env, types: ViewTypes, current: PublishedIndex, base: PublishedIndex, secrets?: ServedSecrets): Promise<string> {
  const changes = await viewChanges(blobStore(env), base.view, current.view);
  const list = (texts: string[]) => `[${texts.join(',')}]`;
  const entries = DELIVERY_ORDER.map((t) => {
    const c = changes[t];
    const parts = c.parts.length ? `,"parts":[${c.parts.map((p) => `{"name":${JSON.stringify(p.name)},"frame":${p.frame},"upsert":${list(p.upsert)},"remove":${JSON.stringify(p.remove)}}`).join(',')}]` : '';
    return `${JSON.stringify(RESOURCE_TYPES[t])}:{"version":${JSON.stringify(types.versions[t])},"since":${JSON.stringify(base.view.types[t].version)},"upsert":${list(c.upsert)},"remove":${JSON.stringify(c.remove)}${parts}}`;
  });
  return `{"version":${JSON.stringify(viewVersion(types, secrets))}${indexField(types)},"since":${JSON.stringify(base.index)},"types":{${secretsEntry(secrets)}},"changes":{${entries.join(',')}}}`;
}

/** The published view a bridge names in `since`, if it is an earlier form of the same view (else it gets the view whole). */
async function baseOf(env: Env, types: ViewTypes, since: string | undefined): Promise<PublishedIndex | undefined> {
  if (!since || !types.published) return undefined;
  if (since === types.published.index) return types.published;
  try {
    const view = await getView(blobStore(env), since);
    return view.view === types.published.view.view && view.variant === types.published.view.variant ? { view, index: since } : undefined;
  } catch {
    // An index this edge cannot read (another deployment's, or lost): the view goes whole.
    return undefined;
  }
}

async function collect(texts: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const t of texts) text += t;
  return text;
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * POST /snapshots: every view a bridge's clients need, in one request, rendered with ADS config
 * sources. Served from the same published views as REST xDS (small views' JSON memoised, large ones
 * streamed from R2), so a bridge polling it costs no more than an Envoy polling CDS. A view the bridge
 * holds and names in `since` comes as its changes: a one-object change moves kilobytes, not the view.
 */
app.post('/snapshots', requireScope('xds:read'), limitBody(), async (c) => {
  const req = await parseJsonBody(c, SnapshotsRequestSchema, 'snapshots request');
  const config = await currentConfig(c.env);
  const headers: Record<string, string> = { 'cache-control': 'no-store', [REVISION_HEADER]: String(config.revision) };
  if (isServingStale()) headers[STALE_HEADER] = 'true';
  // Classes with identities were judged under an auth epoch: a policy change is never answered 304.
  const authEpoch = c.get('principal').identity || req.nodes?.some((n) => n.identity) ? await authEpochNow(c.env) : undefined;
  if (req.revision === config.revision && req.authEpoch === authEpoch) return c.body(null, 304, headers);

  const views: string[] = [];
  const distinct = new Map<string, View>();
  const refused = await refusedClasses(c.env, config.selector, c.get('principal'), req.nodes ?? []);
  for (const [i, n] of (req.nodes ?? []).entries()) {
    // A class its identity may not have gets no view: its proxies get PERMISSION_DENIED from the bridge.
    if (refused.has(i)) {
      views.push('');
      continue;
    }
    const view = selectView(config.selector, nodeInfoOfClass(n));
    const key = viewKey(view);
    views.push(key);
    distinct.set(key, view);
  }
  // A bridge whose token may read secrets gets, per view, the Secrets that view references (SDS over ADS).
  const withSecrets = hasScope(c.get('principal'), 'secrets:read');
  const secretState = withSecrets ? await secretStateOf(c.env, config) : undefined;
  const entries: (() => AsyncGenerator<string>)[] = [];
  for (const [key, view] of distinct) {
    const types = await viewTypesOf(c.env, config, view);
    const secrets = secretState ? await secretsForView(c.env, secretState, view, await sdsNamesOfView(c.env, config, view)) : undefined;
    if (req.have?.[key] === viewVersion(types, secrets)) continue;
    const prefix = `${entries.length ? ',' : ''}${JSON.stringify(key)}:`;
    const base = await baseOf(c.env, types, req.since?.[key]);
    if (base && types.published) {
      // Bridges at the same version ask for the same changes: computed once per revision and base.
      const changesKey = `${base.index}\n${types.published.index}\nbridge-changes${withSecrets ? '+secrets' : ''}`;
      const json = memoisedBody(config, changesKey) ?? (await changesJson(c.env, types, types.published, base, secrets));
      rememberBody(config, changesKey, json);
      entries.push(() => once(prefix + json));
      continue;
    }
    const memoKey = `${renderKeyOf(view, { mode: 'ads' })}\nbridge-view${withSecrets ? '+secrets' : ''}`;
    const memo = memoisedBody(config, memoKey);
    if (memo !== undefined || types.size === undefined || types.size <= MAX_MEMO_BODY_CHARS) {
      const json = memo ?? (await collect(viewJson(types, secrets)));
      rememberBody(config, memoKey, json);
      entries.push(() => once(prefix + json));
    } else {
      // A large view streams from R2 a few chunks at a time.
      entries.push(async function* () {
        yield prefix;
        yield* viewJson(types, secrets);
      });
    }
  }
  // labelKeys: the only labels views depend on; a bridge groups its proxies by them (viewLabelKeys).
  const envelope: Omit<SnapshotsResponse, 'snapshots'> = { revision: config.revision, views, labelKeys: viewLabelKeys(config.selector), ...(refused.size ? { refused: Object.fromEntries(refused) } : {}), ...(authEpoch !== undefined ? { authEpoch } : {}) };
  const parts = (async function* () {
    yield `${JSON.stringify(envelope).slice(0, -1)},"snapshots":{`;
    for (const entry of entries) yield* entry();
    yield '}}';
  })();
  const stream = textStream(parts);
  return c.body(stream, 200, { ...headers, 'content-type': 'application/json' });
});

export default app;

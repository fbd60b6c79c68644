import { Hono } from 'hono';
import { answerTexts, DELIVERY_ORDER, hashContent, nodeInfoOfClass, publishedAnswer, RESOURCE_TYPES, REVISION_HEADER, SECRET_TYPE_URL, selectView, SnapshotsRequestSchema, STALE_HEADER, viewKey, viewLabelKeys, type ResourceType, type SnapshotsResponse, type View } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { hasScope } from '../domain/auth/tokens';
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
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function viewTypesOf(env: Env, config: CachedConfig, view: View): Promise<ViewTypes> {
  const published = publishedViewOf(env, config, view, { mode: 'ads' });
  if (published) {
    const pv = await published;
    const store = blobStore(env);
    return {
      versions: Object.fromEntries(DELIVERY_ORDER.map((t) => [t, pv.types[t].version])) as Record<ResourceType, string>,
      texts: async function* (t) {
        yield* answerTexts(store, await publishedAnswer(store, pv.types[t], undefined));
      },
      size: DELIVERY_ORDER.reduce((n, t) => n + pv.types[t].items.bytes, 0),
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

/** A view as the bridge receives it (BridgeView): per type URL its version and resources (proto3 JSON with `@type`). */
async function* viewJson(types: ViewTypes, secrets?: ServedSecrets): AsyncGenerator<string> {
  yield `{"version":${JSON.stringify(viewVersion(types, secrets))},"types":{`;
  for (const [i, t] of DELIVERY_ORDER.entries()) {
    yield `${i ? ',' : ''}${JSON.stringify(RESOURCE_TYPES[t])}:{"version":${JSON.stringify(types.versions[t])},"resources":[`;
    yield* types.texts(t);
    yield ']}';
  }
  if (secrets?.resources.length) yield `,${JSON.stringify(SECRET_TYPE_URL)}:${JSON.stringify({ version: secrets.version, resources: secrets.resources })}`;
  yield '}}';
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
 * streamed from R2), so a bridge polling it costs no more than an Envoy polling CDS.
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
    const memoKey = `${renderKeyOf(view, { mode: 'ads' })}\nbridge-view${withSecrets ? '+secrets' : ''}`;
    const prefix = `${entries.length ? ',' : ''}${JSON.stringify(key)}:`;
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
  const envelope: Omit<SnapshotsResponse, 'snapshots'> = { revision: config.revision, views, labelKeys: viewLabelKeys(config.selector) };
  const parts = (async function* () {
    yield `${JSON.stringify(envelope).slice(0, -1)},"snapshots":{`;
    for (const entry of entries) yield* entry();
    yield '}}';
  })();
  const stream = textStream(parts);
  return c.body(stream, 200, { ...headers, 'content-type': 'application/json' });
});

export default app;

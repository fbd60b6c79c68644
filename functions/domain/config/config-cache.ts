import {
  collectionItems,
  decodePublishedView,
  getRoot,
  getView,
  renderedFormOf,
  renderView,
  translateIntents,
  viewKey,
  viewSlot,
  type IntentObject,
  type MeshIR,
  type PublishedRoot,
  type PublishedView,
  type RenderedView,
  type RestValues,
  type Subscriber,
  type Variant,
  type View,
  type ViewSelector,
} from '../../../xds';
import { addSdsNames, credentialReferences, sdsNamesOf, type CredentialRef } from '../../../xds/secrets/references';
import { openDatabase, readIntentState, rowToIntent } from '../db/store';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { DomainError } from '../errors';
import { readRowsWhere } from './d1-config-source';
import { R2BlobStore } from './r2-blob-store';

/**
 * The poll path's memory (design.md §6). Per isolate: the head revision this isolate knows and its
 * published root (R2), trusted for a freshness window; past it, ONE cheap head query (shared by
 * concurrent requests) decides whether to load another root. Views are read from R2 as polls ask for
 * them and their indexes kept; nothing is translated on a read unless a proxy needs a view the write
 * path did not publish (proxy-chosen dimensions: namespace, locality, labels), or the database
 * predates published config: then the objects are read and translated once per revision, as before.
 */
export interface CachedConfig {
  revision: number;
  /** The published root, absent before the first write of a database from before published config. */
  root?: PublishedRoot;
  /** How views are chosen: the root's selector, or the translated IR's. */
  selector: ViewSelector;
  /** Published view indexes read so far, by slot. */
  views: Map<string, Promise<PublishedView>>;
  /** Renders for the callers that need resources decoded (dumps, SDS references, unpublished views), by render key. */
  renders: Map<string, Promise<RenderedView>>;
  /** Serialised answers by render key, type and names: small ones only (see rememberBody), and their total size. */
  bodies: Map<string, string>;
  bodyChars: number;
  /** Versions of answers by the same keys: an unchanged poll needs nothing else. */
  versions: Map<string, string>;
  /** The translated config, when something needed it (see above). */
  legacy?: Promise<MeshIR>;
  /** TLS Secrets and their references, read when SDS first asks (see secretState). */
  secretState?: Promise<SecretState>;
  /** SDS names each view asks for, by view key. */
  sdsNames: Map<string, Promise<string[]>>;
}

export interface SecretState {
  /** TLS Secrets (encrypted) by `namespace/name`. */
  secrets: Map<string, IntentObject>;
  /** The credentialNames that reference them. */
  credentialRefs: CredentialRef[];
}

/** Decoded or rendered views (dumps, exports, unpublished views) are whole views in memory: keep few. */
const MAX_RENDERS = 4;
/** Memoised bodies in all, in UTF-16 code units: ~16 MB, inside a serving isolate's 32 MB budget with the rest. */
const MAX_BODY_CHARS_TOTAL = 8 * 1024 * 1024;
const MAX_VERSIONS = 16384;
/** Bodies above this are streamed from R2 on every 200 rather than kept: a 20,000-service CDS is tens of MB. */
export const MAX_MEMO_BODY_CHARS = 256 * 1024;

let current: CachedConfig | undefined;
/** When D1 last confirmed `current` is the head revision (ms since epoch). */
let confirmedAt = 0;
/** True while D1 or R2 is failing and we serve what we have. */
let servingStale = false;
let refreshing: Promise<CachedConfig> | undefined;

export const blobStore = (env: Pick<Env, 'CONFIG'>) => new R2BlobStore(env.CONFIG);

const EMPTY_SELECTOR: ViewSelector = { gateways: [] };

function cached(revision: number, root: PublishedRoot | undefined, selector: ViewSelector): CachedConfig {
  return { revision, ...(root ? { root } : {}), selector, views: new Map(), renders: new Map(), bodies: new Map(), bodyChars: 0, versions: new Map(), sdsNames: new Map() };
}

/** Every object read and translated: databases from before published config, and views not published. */
async function translateAll(env: Env, revision: number): Promise<MeshIR> {
  const state = await readIntentState(openDatabase(env.DB));
  const translated = translateIntents(state.objects);
  // Stored config is validated on write; failing now means a translator change broke it. Keep
  // proxies on what they have (503) rather than serve a partial config.
  if (translated.errors.length) {
    const first = translated.errors[0]!;
    throw new DomainError('config-unavailable', `revision ${revision} no longer translates: ${first.source} ${first.path}: ${first.message}`);
  }
  return translated.ir;
}

async function load(env: Env, head: { id: number; root: string | null }): Promise<CachedConfig> {
  if (head.root) {
    const root = await getRoot(blobStore(env), head.root);
    return cached(head.id, root, root.selector);
  }
  // No root: an empty database (nothing to serve but empty views), or revisions from before published config.
  if (head.id === 0) return cached(0, undefined, EMPTY_SELECTOR);
  const config = cached(head.id, undefined, EMPTY_SELECTOR);
  config.legacy = translateAll(env, head.id);
  config.selector = await config.legacy;
  return config;
}

async function refresh(env: Env): Promise<CachedConfig> {
  try {
    const head = (await env.DB.prepare('SELECT id, root FROM revisions ORDER BY id DESC LIMIT 1').first<{ id: number; root: string | null }>()) ?? { id: 0, root: null };
    if (!current || current.revision !== head.id) current = await load(env, head);
    confirmedAt = Date.now();
    servingStale = false;
    return current;
  } catch (err) {
    if (!current) throw err instanceof DomainError ? err : new DomainError('config-unavailable', 'the configuration store is unavailable and this isolate has no snapshot yet');
    // Serve the last good config and retry after another window rather than on every poll.
    console.warn(JSON.stringify({ msg: 'config store unavailable; serving last snapshot', revision: current.revision, error: String(err) }));
    confirmedAt = Date.now();
    servingStale = true;
    return current;
  }
}

/** The config to serve: from memory within the freshness window, else after one head check. */
export async function currentConfig(env: Env): Promise<CachedConfig> {
  if (current && Date.now() - confirmedAt < settings(env).freshnessMs) return current;
  refreshing ??= refresh(env).finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

export const isServingStale = () => servingStale;

const variantOf = (subscriber: Subscriber): Variant | undefined => (subscriber.mode === 'ads' ? 'ads' : subscriber.mode === 'rest' ? 'rest' : undefined);
export const restValuesOf = (subscriber: Subscriber): RestValues | undefined =>
  subscriber.mode === 'rest' ? { xdsCluster: subscriber.xdsCluster, refreshDelay: subscriber.refreshDelay } : undefined;
const subscriberKey = (s: Subscriber) => (s.mode === 'ads' ? 'ads' : s.mode === 'file' ? `file|${s.dir}` : `rest|${s.xdsCluster}|${s.refreshDelay}`);

/** Where a view's published index is, for a subscriber: its slot in the root and its key (undefined when not published). */
function publishedSlotOf(config: CachedConfig, view: View, subscriber: Subscriber): { slot?: string; key?: string } {
  const variant = variantOf(subscriber);
  const slot = variant && viewSlot(viewKey(renderedFormOf(config.selector, view)), variant);
  return slot ? { slot, ...(config.root?.views[slot] ? { key: config.root.views[slot] } : {}) } : {};
}

/** The key of a view's published index (a content hash: a bridge names it to ask for changes since). */
export const publishedViewKeyOf = (config: CachedConfig, view: View, subscriber: Subscriber) => publishedSlotOf(config, view, subscriber).key;

/** The published index of a view as a subscriber receives it, or undefined when the write path did not publish it. */
export function publishedViewOf(env: Env, config: CachedConfig, view: View, subscriber: Subscriber): Promise<PublishedView> | undefined {
  const { slot, key } = publishedSlotOf(config, view, subscriber);
  if (!slot || !key) return undefined;
  let published = config.views.get(slot);
  if (!published) {
    published = getView(blobStore(env), key);
    published.catch(() => config.views.delete(slot));
    config.views.set(slot, published);
  }
  return published;
}

/** The translated config for views nobody published; memoised on the config (its revision). */
function legacyIr(env: Env, config: CachedConfig): Promise<MeshIR> {
  if (!config.legacy) {
    config.legacy = config.revision === 0 ? Promise.resolve(translateIntents([]).ir) : translateAll(env, config.revision);
    config.legacy.catch(() => (config.legacy = undefined));
  }
  return config.legacy;
}

/** The key answers of this view and subscriber are memoised under. */
export const renderKeyOf = (view: View, subscriber: Subscriber) => `${viewKey(view)}\n${subscriberKey(subscriber)}`;

/** One view decoded for one subscriber (from its published form, else rendered), memoised on the cached config. */
export function renderedViewOf(env: Env, config: CachedConfig, view: View, subscriber: Subscriber): Promise<RenderedView> {
  const key = renderKeyOf(view, subscriber);
  let rendered = config.renders.get(key);
  if (!rendered) {
    // Host headers are client-chosen: bound the memo instead of trusting them.
    if (config.renders.size >= MAX_RENDERS) config.renders.clear();
    const published = publishedViewOf(env, config, view, subscriber);
    rendered = published
      ? published.then((p) => decodePublishedView(blobStore(env), p, restValuesOf(subscriber)))
      : legacyIr(env, config).then((ir) => renderView(ir, view, subscriber));
    rendered.catch(() => config.renders.delete(key));
    config.renders.set(key, rendered);
  }
  return rendered;
}

/** A memoised answer body (small ones only: see MAX_MEMO_BODY_CHARS). */
export const memoisedBody = (config: CachedConfig, key: string) => config.bodies.get(key);
export function rememberBody(config: CachedConfig, key: string, body: string): void {
  if (body.length > MAX_MEMO_BODY_CHARS) return;
  if (config.bodyChars + body.length > MAX_BODY_CHARS_TOTAL) {
    config.bodies.clear();
    config.bodyChars = 0;
  }
  config.bodies.set(key, body);
  config.bodyChars += body.length;
}

/** A memoised answer version (what an unchanged poll compares with). */
export async function memoVersion(config: CachedConfig, key: string, compute: () => Promise<string>): Promise<string> {
  let version = config.versions.get(key);
  if (version === undefined) {
    version = await compute();
    if (config.versions.size >= MAX_VERSIONS) config.versions.clear();
    config.versions.set(key, version);
  }
  return version;
}

/** TLS Secrets and the objects that reference them by credentialName: read once per revision, when SDS first needs them. */
export function secretStateOf(env: Env, config: CachedConfig): Promise<SecretState> {
  if (!config.secretState) {
    config.secretState = readRowsWhere(env.DB, `kind = 'Secret' OR (kind IN ('DestinationRule', 'Gateway') AND spec LIKE '%credentialName%')`).then((rows) => {
      const objects = rows.map(rowToIntent);
      const secrets = new Map(objects.filter((o) => (o.kind as string) === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
      return { secrets, credentialRefs: credentialReferences(objects) };
    });
    config.secretState.catch(() => (config.secretState = undefined));
  }
  return config.secretState;
}

/**
 * The SDS secret names a view asks for, memoised per view: from its published ADS form a chunk at a
 * time (only resources that mention sds_config are parsed), else from its render.
 */
export function sdsNamesOfView(env: Env, config: CachedConfig, view: View): Promise<string[]> {
  const key = viewKey(view);
  let names = config.sdsNames.get(key);
  if (!names) {
    const published = publishedViewOf(env, config, view, { mode: 'ads' });
    names = published
      ? published.then(async (pv) => {
          const found = new Set<string>();
          for (const type of ['clusters', 'listeners'] as const) {
            for await (const item of collectionItems(blobStore(env), pv.types[type].items)) if (item.text.includes('"sds_config"')) addSdsNames(JSON.parse(item.text), found);
          }
          return [...found].sort();
        })
      : renderedViewOf(env, config, view, { mode: 'ads' }).then(sdsNamesOf);
    names.catch(() => config.sdsNames.delete(key));
    config.sdsNames.set(key, names);
  }
  return names;
}

/**
 * Called by the write path right after a revision commits, with the root it published, so the isolate
 * that took the write serves it at once instead of waiting out its freshness window.
 */
export function primeConfigCache(revision: number, _rootKey: string, root: PublishedRoot): void {
  if (current && current.revision > revision) return;
  current = cached(revision, root, root.selector);
  confirmedAt = Date.now();
  servingStale = false;
}

/** Forget everything (tests whose storage is reset between cases, and cold isolates in tests). */
export function forgetConfigCache(): void {
  current = undefined;
  confirmedAt = 0;
  servingStale = false;
  refreshing = undefined;
}

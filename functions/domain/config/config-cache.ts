import { renderView, translateIntents, viewKey, type IntentObject, type MeshIR, type RenderedView, type Subscriber, type View } from '../../../xds';
import { credentialReferences, type CredentialRef } from '../../../xds/secrets/references';
import { openDatabase, readHeadRevision, readIntentState, type IntentState } from '../db/store';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { DomainError } from '../errors';

/**
 * The poll path's memory (design.md §6). Per isolate: the translated intent set of the newest
 * revision this isolate knows, trusted for a freshness window; past it, ONE cheap head-revision
 * query (shared by concurrent requests) decides whether to reload. Renders are memoised per view
 * and subscriber, so an unchanged poll costs a map lookup and no D1 query.
 */
export interface CachedConfig {
  revision: number;
  configHash: string;
  ir: MeshIR;
  /** Rendered snapshots by `viewKey \n subscriberKey`. */
  renders: Map<string, RenderedView>;
  /** Serialised response bodies by render key, type and names (see discovery.ts). */
  bodies: Map<string, string>;
  /** TLS Secrets (encrypted) by `namespace/name`, and the credentialNames that reference them: for SDS. */
  secrets: Map<string, IntentObject>;
  credentialRefs: CredentialRef[];
}

const MAX_RENDERS = 256;
const MAX_BODIES = 4096;

let current: CachedConfig | undefined;
/** When D1 last confirmed `current` is the head revision (ms since epoch). */
let confirmedAt = 0;
/** True while D1 is failing and we serve what we have. */
let servingStale = false;
let refreshing: Promise<CachedConfig> | undefined;

function fromState(state: IntentState, ir?: MeshIR): CachedConfig {
  if (!ir) {
    const translated = translateIntents(state.objects);
    // Stored config is validated on write; failing now means a translator change broke it. Keep
    // proxies on what they have (503) rather than serve a partial config.
    if (translated.errors.length) {
      const first = translated.errors[0]!;
      throw new DomainError('config-unavailable', `revision ${state.revision} no longer translates: ${first.source} ${first.path}: ${first.message}`);
    }
    ir = translated.ir;
  }
  const secrets = new Map(state.objects.filter((o) => (o.kind as string) === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  return { revision: state.revision, configHash: state.configHash, ir, renders: new Map(), bodies: new Map(), secrets, credentialRefs: credentialReferences(state.objects) };
}

async function refresh(env: Env): Promise<CachedConfig> {
  const db = openDatabase(env.DB);
  try {
    const head = await readHeadRevision(db);
    if (!current || current.revision !== head) current = fromState(await readIntentState(db));
    confirmedAt = Date.now();
    servingStale = false;
    return current;
  } catch (err) {
    if (!current) throw err instanceof DomainError ? err : new DomainError('config-unavailable', 'the configuration store is unavailable and this isolate has no snapshot yet');
    // Serve the last good snapshot and retry after another window rather than on every poll.
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

const subscriberKey = (s: Subscriber) => (s.mode === 'ads' ? 'ads' : s.mode === 'file' ? `file|${s.dir}` : `rest|${s.xdsCluster}|${s.refreshDelay}`);

/** One view rendered for one subscriber, memoised on the cached config. */
export function snapshotFor(config: CachedConfig, view: View, subscriber: Subscriber): { key: string; snapshot: RenderedView } {
  const key = `${viewKey(view)}\n${subscriberKey(subscriber)}`;
  let snapshot = config.renders.get(key);
  if (!snapshot) {
    // Host headers are client-chosen: bound the memo instead of trusting them.
    if (config.renders.size >= MAX_RENDERS) config.renders.clear();
    snapshot = renderView(config.ir, view, subscriber);
    config.renders.set(key, snapshot);
  }
  return { key, snapshot };
}

/** A memoised serialised body (bounded). */
export function memoBody(config: CachedConfig, key: string, build: () => string): string {
  let body = config.bodies.get(key);
  if (body === undefined) {
    if (config.bodies.size >= MAX_BODIES) config.bodies.clear();
    body = build();
    config.bodies.set(key, body);
  }
  return body;
}

/**
 * Called by the write path right after a revision commits, with the IR it already built, so the
 * isolate that took the write serves it at once instead of waiting out its freshness window.
 */
export function primeSnapshotCache(state: IntentState, ir?: MeshIR): void {
  current = fromState(state, ir);
  confirmedAt = Date.now();
  servingStale = false;
}

/** Forget everything (tests whose storage is reset between cases). */
export function forgetSnapshotCache(): void {
  current = undefined;
  confirmedAt = 0;
  servingStale = false;
  refreshing = undefined;
}

import { applyViewChanges, checkSnapshotsAnswer, MAX_NODE_CLASSES, SECRET_TYPE_URL, SNAPSHOTS_PATH, type BridgeView, type NodeClass, type SnapshotsAnswer, type SnapshotsRequest } from '../../xds';
import type { SnapshotEncoder } from '../snapshot/encoder';
import type { SnapshotStore } from '../snapshot/store';
import type { ViewSnapshot } from '../snapshot/types';
import { loadState, saveState } from './state-file';

export interface EdgeClientOptions {
  edgeUrl: string;
  token: string;
  store: SnapshotStore;
  encoder: SnapshotEncoder;
  pollIntervalMs: number;
  /** Each interval is scaled by a random factor in [1 - jitter, 1 + jitter], so replicas spread out. */
  pollJitter: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
  stateFile?: string;
  fetch?: typeof fetch;
  onFetch?: (result: 'changed' | 'unchanged' | 'error', reason?: string) => void;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * The state file never holds private keys: secrets are left out, and the view's version marked so
 * the edge sends the view whole (secrets included) once it answers again. A bridge restarted during
 * an edge outage therefore serves no secrets until then: TLS listeners and clusters that need one
 * keep warming, everything else serves as before.
 */
function withoutSecrets(source: BridgeView): BridgeView {
  if (!source.types[SECRET_TYPE_URL]) return source;
  const { [SECRET_TYPE_URL]: _secrets, ...types } = source.types;
  return { version: `${source.version}~without-secrets`, types };
}

class UpstreamError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Fetches config from the edge's bulk endpoint (POST /api/v1/snapshots): one request per interval
 * for every node class this bridge serves, naming the views it already has so only changed views
 * come back, the edge's index of each (`since`) so they come as their changes, and its revision so an
 * unchanged edge answers 304. Anything wrong with the answer (network, status, shape, changes that do
 * not apply, a resource Envoy's protos reject) leaves the last good snapshot serving; a view whose
 * changes did not apply is asked for whole next time.
 */
export class EdgeClient {
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private running?: Promise<void>;
  private stopped = false;
  private askedClasses = '';
  /** Views to ask for whole next time (their changes did not apply to what we hold). */
  private wholeNext = new Set<string>();
  /** An edge from before `since` refuses it (its schema is strict): then every view comes whole. */
  private edgeTakesSince = true;
  lastSuccessAt = 0;
  lastError?: string;

  constructor(private readonly o: EdgeClientOptions) {
    o.store.on('class', () => this.pollSoon());
  }

  /** Restores the state file (if any), then starts polling. */
  async start(): Promise<void> {
    if (this.o.stateFile) await this.restore(this.o.stateFile);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A proxy of a new class connected: fetch now rather than at the next interval. */
  pollSoon(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  /** One fetch; resolves when the store has been updated (or the fetch failed). */
  pollOnce(): Promise<void> {
    this.running ??= this.fetchOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.pollOnce();
      const { pollIntervalMs: base, pollJitter: jitter, backoffMaxMs } = this.o;
      const interval = this.failures ? Math.min(backoffMaxMs, base * 2 ** Math.min(this.failures, 16)) : base;
      const { unresolved } = this.o.store.classesToFetch();
      // A class still without a view (an error, or it appeared mid-fetch) is retried soon.
      this.schedule(unresolved && !this.failures ? 50 : interval * (1 - jitter + 2 * jitter * Math.random()));
    }, ms);
    this.timer.unref?.();
  }

  private async fetchOnce(): Promise<void> {
    const { store } = this.o;
    const all = store.classesToFetch();
    // The edge takes at most MAX_NODE_CLASSES; the rest wait for the next poll (50 ms away while
    // any is unresolved). Before the edge's first answer every label counts, so a thousand pods with
    // their own labels can be a thousand classes: the first answer's labelKeys collapses them.
    const classes = all.classes.slice(0, MAX_NODE_CLASSES);
    const unresolved = all.unresolved;
    const classKeys = classes.map((c) => c.key).join('\n');
    // Naming our revision lets an unchanged edge answer 304, unless we need a class mapped.
    const known = store.revision !== undefined && !unresolved && classKeys === this.askedClasses;
    try {
      const since = this.edgeTakesSince ? Object.fromEntries([...store.views].flatMap(([k, s]) => (s.source.index && !this.wholeNext.has(k) ? [[k, s.source.index]] : []))) : {};
      const answer = await this.request({ ...(known ? { revision: store.revision, ...(store.authEpoch !== undefined ? { authEpoch: store.authEpoch } : {}) } : {}), nodes: classes.map((c) => c.node), have: store.haveVersions(), ...(Object.keys(since).length ? { since } : {}) });
      this.failures = 0;
      this.lastSuccessAt = Date.now();
      this.lastError = undefined;
      if (!answer) return this.o.onFetch?.('unchanged');
      this.apply(answer, classes, Date.now());
      this.askedClasses = classKeys;
      this.o.onFetch?.('changed');
      if (this.o.stateFile) await this.persist(this.o.stateFile);
    } catch (err) {
      this.failures++;
      const reason = err instanceof UpstreamError ? err.reason : 'unreachable';
      this.lastError = err instanceof Error ? err.message : String(err);
      this.o.onFetch?.('error', reason);
      this.o.log?.('warn', 'edge fetch failed; serving the last good snapshot', { reason, error: this.lastError, failures: this.failures, revision: store.revision });
    }
  }

  private async request(body: SnapshotsRequest): Promise<SnapshotsAnswer | undefined> {
    const doFetch = this.o.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(new URL(SNAPSHOTS_PATH, this.o.edgeUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
    } catch (err) {
      throw new UpstreamError('unreachable', `the edge is unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.status === 304) return undefined;
    const text = await res.text().catch(() => '');
    if (res.status === 400 && body.since && /\bsince\b/.test(text)) {
      this.edgeTakesSince = false;
      this.o.log?.('info', 'the edge does not take since: views come whole', { error: text.slice(0, 300) });
      const { since: _since, ...whole } = body;
      return this.request(whole);
    }
    if (!res.ok) throw new UpstreamError(`http_${res.status}`, `the edge answered ${res.status}: ${text.slice(0, 300)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamError('garbage', 'the edge answered 200 with a body that is not JSON');
    }
    const checked = checkSnapshotsAnswer(json, body.nodes?.length ?? 0);
    if (!checked.ok) throw new UpstreamError('garbage', checked.error);
    return checked.answer;
  }

  /** Encodes everything first: one bad resource rejects the whole answer, and the store is untouched. */
  private apply(answer: SnapshotsAnswer, classes: NodeClass[], now: number): void {
    const snapshots = new Map<string, ViewSnapshot>();
    for (const [view, incoming] of Object.entries(answer.snapshots)) {
      const held = this.o.store.views.get(view);
      let source: BridgeView;
      try {
        source = applyViewChanges(view, held?.source, incoming);
      } catch (err) {
        this.wholeNext.add(view);
        throw new UpstreamError('garbage', err instanceof Error ? err.message : String(err));
      }
      try {
        snapshots.set(view, this.o.encoder.encodeView(view, source, answer.revision, now, held));
      } catch (err) {
        this.wholeNext.add(view);
        throw new UpstreamError('garbage', err instanceof Error ? err.message : String(err));
      }
    }
    this.wholeNext.clear();
    for (const view of new Set(answer.views.filter((v) => v !== ''))) {
      if (!snapshots.has(view) && !this.o.store.views.has(view)) throw new UpstreamError('garbage', `the edge mapped a class to view ${view} but sent no snapshot of it`);
    }
    // Classes whose identity the edge refused ("" in views): their streams end with the reason.
    const refused = new Map(Object.entries(answer.refused ?? {}).map(([i, refusal]) => [classes[Number(i)]!.key, refusal]));
    this.o.store.apply({
      revision: answer.revision,
      classViews: new Map(classes.map((c, i) => [c.key, answer.views[i]!])),
      snapshots,
      ...(answer.labelKeys ? { labelKeys: answer.labelKeys } : {}),
      ...(refused.size ? { refused } : {}),
      ...(answer.authEpoch !== undefined ? { authEpoch: answer.authEpoch } : {}),
    });
    this.o.encoder.retainOnly(this.o.store.liveSnapshots());
  }

  private async persist(path: string): Promise<void> {
    const { store } = this.o;
    try {
      await saveState(path, {
        format: 1,
        savedAt: new Date().toISOString(),
        revision: store.revision!,
        classes: store.classViews(),
        ...(store.labelKeys ? { labelKeys: store.labelKeys } : {}),
        snapshots: Object.fromEntries([...store.views].map(([k, s]) => [k, withoutSecrets(s.source)])),
      });
    } catch (err) {
      this.o.log?.('warn', 'could not write the state file', { path, error: String(err) });
    }
  }

  private async restore(path: string): Promise<void> {
    try {
      const state = await loadState(path);
      if (!state) return;
      this.o.store.restoreClasses(state.classes);
      const snapshots = new Map(Object.entries(state.snapshots).map(([view, source]) => [view, this.o.encoder.encodeView(view, source, state.revision, Date.now())]));
      this.o.store.apply({ revision: state.revision, classViews: new Map(state.classes.map((c) => [c.nodeClass.key, c.view])), snapshots, ...(state.labelKeys ? { labelKeys: state.labelKeys } : {}) });
      this.o.log?.('info', 'serving the saved snapshot until the edge answers', { path, revision: state.revision, savedAt: state.savedAt });
    } catch (err) {
      this.o.log?.('warn', 'ignoring an unusable state file', { path, error: String(err) });
    }
  }
}

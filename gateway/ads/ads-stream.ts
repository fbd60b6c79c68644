import { createHash } from 'node:crypto';
import { ADS_DELIVERY_ORDER, ADS_TYPE_URLS, type ClassRefusal, type NodeInfo, type AdsType } from '../../xds';
import type { ErrorDetail, ResponseFields } from '../protos/discovery-codec';
import type { SnapshotStore } from '../snapshot/store';
import type { EncodedResource, ViewSnapshot } from '../snapshot/types';
import { isEncoded, type Desired, type Held, type Sent, type StreamObserver } from './stream-types';
import { selectFrom } from './selection';
import { Subscription } from './subscription';

export interface AdsStreamOptions {
  store: SnapshotStore;
  fields: ResponseFields;
  /** Sent as control_plane.identifier on every response. */
  controlPlane: string;
  observer?: StreamObserver;
  /** A response not ACKed or NACKed within this time no longer holds back the next one. */
  ackTimeoutMs?: number;
  /** How long to wait, after clusters change, for the client to subscribe to their endpoints. */
  edsSubscribeWaitMs?: number;
  /** The workload identity the call authenticated as (gateway/auth): part of the client's class, judged by the edge. */
  identity?: string;
  /** The edge refused the class's claims for its identity: the stream ends without config. */
  onRefused?: (refusal: ClassRefusal) => void;
}

/** Per type and stream. */
export interface TypeState {
  sub: Subscription;
  /** What the client holds (after its last ACK). Shared with the snapshot when it holds exactly a selection. */
  has: ReadonlyMap<string, Held>;
  inFlight?: Sent;
  ackedVersion?: string;
  /** The selection key (Desired.key) of the response last ACKed, when it was the target's own. */
  ackedKey?: string;
  ackedEdgeVersion: string;
  /** The desired version the client rejected: not sent again. */
  nackedVersion?: string;
  nack?: { version: string; message: string };
  /** A request that must be answered even if nothing changed (first request, new names). */
  mustAnswer: boolean;
  /** Names that must be (re)sent or reported missing (delta subscribes). */
  forced: Set<string>;
  /** When the client last ACKed this type (clusters: the start of the EDS subscribe wait). */
  ackedAt: number;
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/**
 * The part of an ADS stream both protocols share: who the client is, what it subscribes to, what
 * it holds, and the make-before-break pump. Only one response is in flight per stream, and types
 * go out in the order CDS → EDS → SDS → LDS → RDS: a later type waits until the earlier ones are ACKed
 * at their target, so a route never reaches a client before the clusters it names. Clusters that
 * the new config dropped are kept in CDS (and their assignments in EDS) until the listeners and
 * routes that stopped using them are ACKed; then a final CDS removes them.
 */
export abstract class AdsStream {
  node?: NodeInfo;
  target?: ViewSnapshot;
  protected closed = false;
  protected readonly types: Record<AdsType, TypeState>;
  private nonce = 0;
  private release?: () => void;
  private classKey?: string;
  /** The store's label keys this stream's class was computed with (same array: same class). */
  private classLabelKeys?: string[];
  private kickTimer?: NodeJS.Timeout;
  private readonly onStoreChange = () => this.retarget();

  constructor(
    protected readonly options: AdsStreamOptions,
    /** Writes one encoded response to the wire. */
    protected readonly write: (bytes: Uint8Array) => void,
  ) {
    const state = (type: AdsType): TypeState => ({ sub: new Subscription(type), has: new Map<string, Held>(), ackedEdgeVersion: '', mustAnswer: false, forced: new Set(), ackedAt: 0 });
    this.types = { clusters: state('clusters'), endpoints: state('endpoints'), secrets: state('secrets'), listeners: state('listeners'), routes: state('routes') };
  }

  /** Whether the type needs a response now; may settle the type without one (delta, nothing to say). */
  protected abstract needsResponse(type: AdsType, st: TypeState, desired: Desired): boolean;
  /**
   * Encodes and writes the response; returns what the client will hold once it ACKs, and the nonce the
   * response carries (the one offered, or a shared message's own).
   */
  protected abstract respond(type: AdsType, st: TypeState, desired: Desired, nonce: string): Omit<Sent, 'sentAt'>;

  protected get protocol(): 'sotw' | 'delta' {
    return 'sotw';
  }

  /** The first request's node: decides the view. Later nodes are ignored, as Envoy allows omitting them. */
  protected identify(node: NodeInfo | undefined): boolean {
    if (this.node) return true;
    if (!node) return false;
    this.node = node;
    const nodeClass = this.options.store.classOf(node, this.options.identity);
    this.classLabelKeys = this.options.store.labelKeys;
    this.classKey = nodeClass.key;
    this.release = this.options.store.use(nodeClass);
    this.options.store.on('change', this.onStoreChange);
    this.options.observer?.onConnect?.(this.protocol, 1);
    if (this.refused()) return true;
    this.target = this.options.store.snapshotFor(nodeClass.key);
    return true;
  }

  protected typeOf(typeUrl: string): AdsType | undefined {
    return ADS_DELIVERY_ORDER.find((t) => ADS_TYPE_URLS[t] === typeUrl);
  }
  /**
   * The start of every request: the first one identifies the client; then the type it is about.
   * Undefined for a type this control plane does not serve (ignored, as Envoy allows).
   */
  protected begin(node: NodeInfo | undefined, typeUrl: string): { type: AdsType; st: TypeState } | { error: string } | undefined {
    if (!this.identify(node)) return { error: 'the first request of a stream must carry node' };
    const type = this.typeOf(typeUrl);
    if (!type) {
      this.options.observer?.log?.('debug', 'ignoring a type this control plane does not serve', { node: this.node!.id, typeUrl });
      return undefined;
    }
    return { type, st: this.types[type] };
  }

  /** The end of every request: an ACK or NACK of the response in flight settles it; then push what is due. */
  protected finish(type: AdsType, st: TypeState, nonce: string, error: ErrorDetail | undefined): undefined {
    if (nonce && st.inFlight?.nonce === nonce) this.settle(type, st, nonce, error);
    this.pump();
    return undefined;
  }


  protected nextNonce(): string {
    return String(++this.nonce);
  }

  /** The last response of this type was ACKed (no error_detail) or NACKed. */
  protected settle(type: AdsType, st: TypeState, nonce: string, error: ErrorDetail | undefined): void {
    const sent = st.inFlight;
    if (!sent || sent.nonce !== nonce) return;
    st.inFlight = undefined;
    const before = st.has;
    const observer = this.options.observer;
    if (error) {
      st.nackedVersion = sent.version;
      st.nack = { version: sent.edgeVersion, message: error.message };
      observer?.onNack?.(type, this.node!, error);
      observer?.log?.('warn', 'proxy rejected config', { node: this.node!.id, type, version: sent.version, error: error.message });
    } else {
      const newer = st.ackedVersion !== sent.version;
      st.ackedVersion = sent.version;
      st.ackedAt = Date.now();
      st.has = sent.result;
      st.ackedKey = sent.key;
      st.nack = undefined;
      st.nackedVersion = undefined;
      if (sent.final) st.ackedEdgeVersion = sent.edgeVersion;
      if (type === 'clusters') this.resendAssignmentsOfChanged(before, st.has);
      observer?.onAck?.(type, newer && sent.final ? (Date.now() - sent.receivedAt) / 1000 : undefined);
    }
    this.report(type, st);
  }

  /**
   * Envoy re-warms an updated cluster and waits for a fresh assignment even when its endpoints did not
   * change (envoy#13009; envoy#31535 in delta): once such a CDS is ACKed, the CLA must go out again.
   */
  private resendAssignmentsOfChanged(before: ReadonlyMap<string, Held>, after: ReadonlyMap<string, Held>): void {
    if (after === before) return;
    const eds = this.types.endpoints;
    for (const [name, held] of after) {
      const old = before.get(name);
      if (old && old.hash !== held.hash && held.edsName && eds.sub.names.has(held.edsName)) eds.forced.add(held.edsName);
    }
  }

  private clearNack(type: AdsType, st: TypeState): void {
    st.nack = undefined;
    st.nackedVersion = undefined;
    this.options.observer?.log?.('info', 'config is back at the version the proxy kept; its NACK is cleared', { node: this.node!.id, type, version: st.ackedVersion });
    this.report(type, st);
  }

  protected report(type: AdsType, st: TypeState): void {
    if (!this.node || !this.target) return;
    this.options.observer?.onStatus?.(this.node, this.target.view, type, { acked: st.ackedEdgeVersion, served: this.target.types[type].edgeVersion, nack: st.nack ?? null });
  }

  /** Reports every subscribed type again (after the store moved to a new revision). */
  reportAll(): void {
    for (const type of ADS_DELIVERY_ORDER) if (this.types[type].sub.active) this.report(type, this.types[type]);
  }

  /** Whether the edge refused this stream's class (then it is told, and gets nothing). */
  private refused(): boolean {
    const refusal = this.classKey === undefined ? undefined : this.options.store.refusalOf(this.classKey);
    if (!refusal) return false;
    this.target = undefined;
    this.options.onRefused?.(refusal);
    return true;
  }

  private retarget(): void {
    if (this.closed || !this.classKey) return;
    const store = this.options.store;
    // The edge's label keys changed: move to the class they now put this proxy in. Until that class
    // has a view, keep serving the current target.
    if (store.labelKeys !== this.classLabelKeys) {
      this.classLabelKeys = store.labelKeys;
      const nodeClass = store.classOf(this.node!, this.options.identity);
      if (nodeClass.key !== this.classKey) {
        const release = this.release;
        this.classKey = nodeClass.key;
        this.release = store.use(nodeClass);
        release?.();
      }
    }
    if (this.refused()) return;
    const next = store.snapshotFor(this.classKey);
    if (next && next !== this.target) {
      this.target = next;
      this.pump();
    }
    this.reportAll();
  }

  /** Clusters dropped by the target that the client still holds, kept until routes stop using them. */
  private retained(type: AdsType): Map<string, EncodedResource> {
    const out = new Map<string, EncodedResource>();
    if (this.routesSettled()) return out;
    const target = this.target!.types;
    for (const [name, held] of this.types.clusters.has) {
      if (target.clusters.resources.has(name) || !isEncoded(held)) continue;
      if (type === 'clusters') out.set(name, held);
      const eds = held.edsName;
      const cla = type === 'endpoints' && eds && !target.endpoints.resources.has(eds) ? this.types.endpoints.has.get(eds) : undefined;
      if (isEncoded(cla)) out.set(eds!, cla);
    }
    return out;
  }

  /**
   * Listeners and routes are ACKed at the target (or not subscribed), and no route config the client
   * just subscribed to (a new listener's) is still unanswered: until it arrives, the old listener
   * keeps serving with its old routes, which may still name a dropped cluster.
   */
  private routesSettled(): boolean {
    return (['listeners', 'routes'] as const).every((type) => {
      const st = this.types[type];
      return !st.sub.active || (!st.inFlight && !st.mustAnswer && !st.forced.size && st.ackedVersion === this.desired(type).version);
    });
  }

  protected desired(type: AdsType): Desired {
    const target = this.target!;
    const t = target.types[type];
    const sub = this.types[type].sub;
    const retained = type === 'clusters' || type === 'endpoints' ? this.retained(type) : undefined;
    const base = { edgeVersion: t.edgeVersion, receivedAt: target.receivedAt };
    if (!retained?.size) return { ...selectFrom(t, sub), version: t.version, final: true, ...base };
    const names = sub.select(t.resources.keys());
    if (sub.wildcard) names.push(...retained.keys());
    const resources = new Map<string, EncodedResource>();
    const missing: string[] = [];
    const kept: string[] = [];
    for (const name of [...new Set(names)].sort()) {
      const r = t.resources.get(name) ?? retained.get(name);
      if (!r) missing.push(name);
      else {
        resources.set(name, r);
        if (!t.resources.has(name)) kept.push(`${name}=${r.hash}`);
      }
    }
    return { version: kept.length ? `${t.version}~${shortHash(kept.join('\n'))}` : t.version, resources, missing, final: kept.length === 0, ...base };
  }

  /** The EDS names of the clusters the client holds, that it has not subscribed to yet. */
  private unsubscribedEds(): string[] {
    const eds = this.types.endpoints.sub;
    const out: string[] = [];
    for (const held of this.types.clusters.has.values()) {
      const name = held.edsName;
      if (name && !eds.names.has(name) && !eds.wildcard) out.push(name);
    }
    return out;
  }

  /** Sends the next response the make-before-break order allows, if any. */
  protected pump(): void {
    if (this.closed || !this.target) return;
    clearTimeout(this.kickTimer);
    const now = Date.now();
    const ackTimeout = this.options.ackTimeoutMs ?? 15_000;
    for (const type of ADS_DELIVERY_ORDER) {
      const sent = this.types[type].inFlight;
      if (!sent) continue;
      if (now - sent.sentAt < ackTimeout) return this.kickAfter(ackTimeout - (now - sent.sentAt));
      this.options.observer?.log?.('warn', 'no ACK or NACK; sending on', { node: this.node?.id, type, version: sent.version });
      this.types[type].inFlight = undefined;
    }
    for (const type of ADS_DELIVERY_ORDER) {
      const st = this.types[type];
      if (type === 'endpoints' && this.types.clusters.ackedVersion !== undefined) {
        // After CDS, Envoy (and gRPC) subscribe to the new clusters' endpoints: wait a little for that.
        const wait = this.options.edsSubscribeWaitMs ?? 2_000;
        const since = now - this.types.clusters.ackedAt;
        if (this.unsubscribedEds().length && since < wait) return this.kickAfter(wait - since);
      }
      if (!st.sub.active) continue;
      const desired = this.desired(type);
      if (this.needsResponse(type, st, desired)) {
        const sent = this.respond(type, st, desired, this.nextNonce());
        st.inFlight = { ...sent, sentAt: now };
        st.mustAnswer = false;
        st.forced.clear();
        this.options.observer?.onPush?.(type);
        return this.kickAfter(ackTimeout);
      }
      // The config went back to what the client kept after its NACK: it holds the desired state again.
      // Not when the NACKed response had this very version (a gRPC client adding a name to its
      // subscription is answered at the version it ACKed, and may reject what the new name brings).
      if (st.nack && st.ackedVersion === desired.version && st.nackedVersion !== desired.version) this.clearNack(type, st);
      // Parked by a NACK, or not yet ACKed: later types wait.
      if (st.ackedVersion !== desired.version) return;
    }
  }

  private kickAfter(ms: number): void {
    clearTimeout(this.kickTimer);
    this.kickTimer = setTimeout(() => this.pump(), Math.max(1, ms));
    this.kickTimer.unref?.();
  }

  /** The stream ended: forget it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.kickTimer);
    this.options.store.off('change', this.onStoreChange);
    this.release?.();
    if (this.node) {
      this.options.observer?.onConnect?.(this.protocol, -1);
      this.options.observer?.onDisconnect?.(this.node);
    }
  }
}

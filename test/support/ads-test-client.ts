import { create, fromBinary, fromJson, toBinary, toJson, type DescMessage } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { DELIVERY_ORDER, RESOURCE_TYPES, type ResourceType } from '../../xds';
import { envoyProtos } from './bridge-fixtures';
import { edsNameOf, nameOf, rdsNamesOf, unpackStrict, type Json } from './envoy-resources';

export { clustersOfRoutes, edsNameOf, rdsNamesOf, unpackStrict } from './envoy-resources';

/**
 * An Envoy-like ADS client of our own, for protocol tests of the bridge: it speaks the wire format
 * through Envoy's descriptors, decodes every resource strictly, keeps state the way Envoy does
 * (full state for CDS/LDS, per name for EDS/RDS), follows clusters to EDS and listeners to RDS,
 * ACKs or NACKs each response, and records what it received.
 */

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One response as the client saw it. */
export interface TimelineEntry {
  seq: number;
  type: ResourceType;
  /** version_info (SotW) or system_version_info (delta). */
  version: string;
  nonce: string;
  /** Names of the resources carried, in wire order. */
  names: string[];
  /** Delta only: removed_resources. */
  removed: string[];
  /** Delta only: per-resource version by name. */
  versions: Record<string, string>;
  at: number;
  verdict: 'ack' | 'nack' | 'held';
}

/** What a client holds of one type, to resume on a new stream. */
export interface HeldState {
  version: string;
  names: string[];
  resources: Map<string, { json: Json; version: string }>;
}

export interface AdsTestClientOptions {
  port: number;
  node?: { id?: string; userAgentName?: string; labels?: Record<string, string>; namespace?: string };
  /** TLS (with a client certificate for mTLS) instead of plaintext, and call metadata (a bearer token), as Envoy's grpc_service sends them. */
  credentials?: grpc.ChannelCredentials;
  metadata?: Record<string, string>;
  /** The TLS server name to check (the bridge's certificate names), when it is not 127.0.0.1. */
  serverName?: string;
  /** Types this client subscribes to (default all four). */
  types?: ResourceType[];
  /** Explicit names to start with (CDS/LDS default to the wildcard); EDS/RDS keep them beside the names they follow. */
  names?: Partial<Record<ResourceType, string[]>>;
  /** Subscribe EDS to the held clusters' service names and RDS to the held listeners' route configs, as Envoy does (default true). */
  follow?: boolean;
  /** A reason to reject a response (NACK with error_detail), or undefined to accept it. */
  rejectIf?: (type: ResourceType, resources: Map<string, Json>, entry: TimelineEntry) => string | undefined;
  /** Leave a response unanswered (the test answers it with ack()/nack() or raw requests). */
  holdIf?: (entry: TimelineEntry) => boolean;
  /** State of an earlier client: reconnect with its versions and names, as Envoy does. */
  resume?: Map<ResourceType, HeldState>;
  /** The channel of an earlier client: Envoy opens its next stream on the connection it has (unless told GOAWAY). Not closed by close(). */
  channel?: grpc.Client;
}

export interface StreamStatus {
  code: number;
  details: string;
}

/** Shared by both protocols: the stream, the timeline, state per type and following clusters and listeners. */
export abstract class AdsTestClient {
  readonly timeline: TimelineEntry[] = [];
  /** Protocol violations seen (undecodable resources, type_url mismatches, repeated names, failed invariants). */
  readonly violations: string[] = [];
  /** Every request sent, decoded back, in order. */
  readonly requests: Json[] = [];
  /** Resolves with the stream's final status. */
  readonly closed: Promise<StreamStatus>;
  protected readonly holding = new Map<ResourceType, Map<string, { json: Json; version: string }>>();
  /** Current subscription per type (explicit names; [] on CDS/LDS is the wildcard). */
  protected readonly subs = new Map<ResourceType, string[]>();
  protected readonly types: ResourceType[];
  protected readonly protos = envoyProtos();
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Uint8Array, Buffer>;
  private nodeSent = false;
  private waiters = new Set<() => void>();
  private invariants: [string, (c: AdsTestClient) => string | undefined][] = [];
  status?: StreamStatus;

  constructor(
    protected readonly options: AdsTestClientOptions,
    method: 'StreamAggregatedResources' | 'DeltaAggregatedResources',
  ) {
    this.types = options.types ?? [...DELIVERY_ORDER];
    for (const t of DELIVERY_ORDER) this.holding.set(t, new Map(options.resume?.get(t)?.resources ?? []));
    this.client = options.channel ?? new grpc.Client(`127.0.0.1:${options.port}`, options.credentials ?? grpc.credentials.createInsecure(), options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {});
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
    this.call = this.client.makeBidiStreamRequest(`${SERVICE}/${method}`, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, metadata);
    this.closed = new Promise((resolve) => {
      this.call.on('status', (s: grpc.StatusObject) => {
        this.status = { code: s.code, details: s.details };
        resolve(this.status);
        this.wake();
      });
    });
    this.call.on('error', () => undefined); // the status carries it
    this.call.on('data', (buf: Buffer) => {
      try {
        this.onResponse(buf);
      } catch (err) {
        this.violations.push(`undecodable response: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.wake();
    });
  }

  protected abstract onResponse(buf: Buffer): void;
  abstract ack(entry: TimelineEntry): void;
  abstract nack(entry: TimelineEntry, message: string): void;
  /** Sends a subscription request for a type. */
  abstract subscribe(type: ResourceType, names: string[]): void;
  /** Re-opens a type on a new stream from what an earlier client held. */
  protected abstract resumeType(type: ResourceType, held: HeldState): void;
  /** Sends the subscription change for a followed type (EDS/RDS). */
  protected abstract resubscribe(type: ResourceType, before: string[], after: string[]): void;

  /** The resources this client holds now, by name (proto field names). */
  held(type: ResourceType): Map<string, Json> {
    return new Map([...this.holding.get(type)!].map(([n, r]) => [n, r.json]));
  }

  /** Names held, sorted. */
  heldNames(type: ResourceType): string[] {
    return [...this.holding.get(type)!.keys()].sort();
  }

  /** The current subscription of a type (undefined: not subscribed). */
  subscription(type: ResourceType): string[] | undefined {
    return this.subs.get(type);
  }

  /** Checked after every response; a message returned is recorded as a violation. */
  invariant(name: string, check: (c: this) => string | undefined): void {
    this.invariants.push([name, check as (c: AdsTestClient) => string | undefined]);
  }

  /** Resolves when the predicate holds (checked now and after every response); rejects with the timeline on timeout. */
  waitFor(predicate: (c: this) => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; status ${JSON.stringify(this.status)}; timeline:\n${this.describe()}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Waits until no response arrived for quietMs (at most maxMs). */
  async quiet(quietMs = 150, maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    let seen = -1;
    while (seen !== this.timeline.length && Date.now() < deadline) {
      seen = this.timeline.length;
      await sleep(quietMs);
    }
  }

  /** Responses of one type since a timeline mark. */
  since(mark: number, type?: ResourceType): TimelineEntry[] {
    return this.timeline.slice(mark).filter((e) => !type || e.type === type);
  }

  describe(entries = this.timeline): string {
    return entries.map((e) => `#${e.seq} ${e.type} v=${e.version} n=${e.nonce} ${e.verdict} [${e.names.join(', ')}]${e.removed.length ? ` removed [${e.removed.join(', ')}]` : ''}`).join('\n');
  }

  /** Writes bytes as they are (for malformed requests). */
  sendRaw(bytes: Uint8Array): void {
    this.call.write(bytes);
  }

  close(): void {
    this.call.cancel();
    if (!this.options.channel) this.client.close();
  }

  /** The channel, for a next stream on the same connection (see AdsTestClientOptions.channel). */
  get channel(): grpc.Client {
    return this.client;
  }

  protected nodeOnce(): unknown {
    if (this.nodeSent) return undefined;
    this.nodeSent = true;
    const n = this.options.node ?? {};
    return fromJson(this.protos.node, { id: n.id ?? 'ads-test-client', user_agent_name: n.userAgentName ?? 'envoy', metadata: { labels: n.labels ?? {}, ...(n.namespace ? { NAMESPACE: n.namespace } : {}) } }, { registry: this.protos.envoy.registry });
  }

  protected write(desc: DescMessage, init: Json): void {
    const message = create(desc, init as never);
    this.requests.push(toJson(desc, message, { registry: this.protos.envoy.registry, useProtoFieldName: true, alwaysEmitImplicit: true }) as Json);
    this.call.write(toBinary(desc, message));
  }

  protected typeOf(typeUrl: string): ResourceType | undefined {
    return DELIVERY_ORDER.find((t) => RESOURCE_TYPES[t] === typeUrl);
  }

  /** Decodes a response's resources strictly; problems are recorded as violations and returned (the response is then NACKed). */
  protected decodeAll(type: ResourceType, anys: { typeUrl: string; value: Uint8Array }[], names: (string | undefined)[]): { resources: Map<string, Json>; problem?: string } {
    const resources = new Map<string, Json>();
    const problems: string[] = [];
    anys.forEach((any, i) => {
      const path = `${type}[${i}]`;
      if (any.typeUrl !== RESOURCE_TYPES[type]) return problems.push(`${path}: Any type_url ${any.typeUrl} differs from the response's ${RESOURCE_TYPES[type]}`);
      let json: Json;
      try {
        json = unpackStrict(any, path);
      } catch (err) {
        return problems.push(`${path} does not decode: ${err instanceof Error ? err.message : String(err)}`);
      }
      const name = names[i] ?? nameOf(type, json);
      if (name !== nameOf(type, json)) problems.push(`${path}: Resource.name ${name} differs from the resource's own name ${nameOf(type, json)}`);
      if (resources.has(name)) problems.push(`${path}: ${name} appears twice in one response`);
      resources.set(name, json);
    });
    this.violations.push(...problems);
    return { resources, ...(problems.length ? { problem: problems.join('; ') } : {}) };
  }

  protected record(entry: Omit<TimelineEntry, 'seq' | 'at' | 'verdict'>): TimelineEntry {
    const full: TimelineEntry = { ...entry, seq: this.timeline.length + 1, at: Date.now(), verdict: 'ack' };
    this.timeline.push(full);
    return full;
  }

  /** Answers a response as Envoy would (ACK after apply(), or NACK), unless the test holds it. */
  protected answer(entry: TimelineEntry, resources: Map<string, Json>, problem: string | undefined, apply: () => void): void {
    const hold = this.options.holdIf?.(entry) ?? false;
    const reason = hold ? undefined : (problem ?? this.options.rejectIf?.(entry.type, resources, entry));
    if (hold) entry.verdict = 'held';
    else if (reason !== undefined) {
      entry.verdict = 'nack';
      this.nack(entry, reason);
    } else {
      apply();
      this.ack(entry);
      this.follow(entry.type);
      // Envoy asks for listeners once the cluster manager has initialised.
      if (entry.type === 'clusters') this.subscribeRest();
    }
    this.checkInvariants(entry);
  }

  /** After CDS or LDS changed: subscribe EDS/RDS to what the held clusters or listeners reference. */
  protected follow(type: ResourceType): void {
    if (this.options.follow === false) return;
    const child: ResourceType | undefined = type === 'clusters' ? 'endpoints' : type === 'listeners' ? 'routes' : undefined;
    if (!child || !this.types.includes(child)) return;
    const parents = [...this.holding.get(type)!.values()].map((r) => r.json);
    const derived = type === 'clusters' ? parents.map(edsNameOf).filter((n): n is string => !!n) : parents.flatMap(rdsNamesOf);
    const after = [...new Set([...derived, ...(this.options.names?.[child] ?? [])])].sort();
    const before = this.subs.get(child) ?? [];
    if (after.join('\n') === before.join('\n') && this.subs.has(child)) return;
    if (!after.length && !this.subs.has(child)) return;
    for (const name of this.holding.get(child)!.keys()) if (!after.includes(name)) this.holding.get(child)!.delete(name);
    this.subs.set(child, after);
    this.resubscribe(child, before, after);
  }

  /** Envoy's start: CDS first, the rest once the first CDS response is in; on a reconnect, everything at once. */
  protected begin(): void {
    const resume = this.options.resume;
    if (resume) {
      for (const t of this.types) if (resume.has(t)) this.resumeType(t, resume.get(t)!);
      return;
    }
    if (this.types[0] === 'clusters') this.subscribe('clusters', this.options.names?.clusters ?? []);
    else this.subscribeRest();
  }

  /** Types not subscribed yet: LDS by wildcard (or its names), EDS/RDS when given names. */
  protected subscribeRest(): void {
    for (const t of this.types) {
      if (this.subs.has(t)) continue;
      if (t === 'clusters' || t === 'listeners') this.subscribe(t, this.options.names?.[t] ?? []);
      else if (this.options.names?.[t]) this.subscribe(t, this.options.names[t]!);
    }
  }

  protected checkInvariants(entry: TimelineEntry): void {
    for (const [name, check] of this.invariants) {
      const problem = check(this);
      if (problem) this.violations.push(`after #${entry.seq} (${entry.type}): ${name}: ${problem}`);
    }
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** State of the world: StreamAggregatedResources. */
export class SotwAdsClient extends AdsTestClient {
  /** Last accepted version per type (what Envoy sends in version_info). */
  readonly accepted = new Map<ResourceType, string>();
  /** Last nonce received per type. */
  readonly nonces = new Map<ResourceType, string>();

  constructor(options: AdsTestClientOptions) {
    super(options, 'StreamAggregatedResources');
    this.begin();
  }

  /** Envoy on a new stream: every type it watches, in order, with what it holds and no nonce. */
  protected resumeType(type: ResourceType, held: HeldState): void {
    this.accepted.set(type, held.version);
    this.subscribe(type, held.names, { nonce: '' });
  }

  /** Sends a DiscoveryRequest changing the subscription (by default with the last accepted version and nonce). */
  subscribe(type: ResourceType, names: string[], over: { nonce?: string; version?: string } = {}): void {
    this.subs.set(type, names);
    this.send(type, { resourceNames: names, versionInfo: over.version ?? this.accepted.get(type) ?? '', responseNonce: over.nonce ?? this.nonces.get(type) ?? '' });
  }

  /** Sends a raw DiscoveryRequest for a type (node added on the first request of the stream unless given). */
  send(type: ResourceType, fields: Json): void {
    const { node = 'node' in fields ? undefined : this.nodeOnce(), ...rest } = fields;
    this.write(this.protos.discoveryRequest, { typeUrl: RESOURCE_TYPES[type], resourceNames: this.subs.get(type) ?? [], ...rest, ...(node ? { node } : {}) });
  }

  /** ACKs a held response. */
  ack(entry: TimelineEntry): void {
    this.accepted.set(entry.type, entry.version);
    this.send(entry.type, { versionInfo: entry.version, responseNonce: entry.nonce });
  }

  /** NACKs a response, keeping the previous version. */
  nack(entry: TimelineEntry, message: string): void {
    this.send(entry.type, { versionInfo: this.accepted.get(entry.type) ?? '', responseNonce: entry.nonce, errorDetail: { code: 13, message } });
  }

  /** What this client holds, to resume on a new stream. */
  state(): Map<ResourceType, HeldState> {
    const out = new Map<ResourceType, HeldState>();
    for (const t of this.types) if (this.subs.has(t)) out.set(t, { version: this.accepted.get(t) ?? '', names: this.subs.get(t)!, resources: new Map(this.holding.get(t)!) });
    return out;
  }

  protected onResponse(buf: Buffer): void {
    const res = fromBinary(this.protos.discoveryResponse, buf) as Json;
    const type = this.typeOf(res.typeUrl);
    if (!type) return void this.violations.push(`response for a type never asked for: ${res.typeUrl}`);
    const { resources, problem } = this.decodeAll(type, res.resources, []);
    const entry = this.record({ type, version: res.versionInfo, nonce: res.nonce, names: [...resources.keys()], removed: [], versions: {} });
    if (!res.nonce) this.violations.push(`#${entry.seq}: a response without nonce`);
    this.nonces.set(type, res.nonce);
    this.answer(entry, resources, problem, () => this.apply(type, resources));
  }

  /** CDS and LDS are full state (absent = deleted); EDS and RDS replace only the names present. */
  private apply(type: ResourceType, resources: Map<string, Json>): void {
    const held = this.holding.get(type)!;
    if (type === 'clusters' || type === 'listeners') held.clear();
    for (const [name, json] of resources) held.set(name, { json, version: '' });
  }

  protected resubscribe(type: ResourceType, _before: string[], after: string[]): void {
    this.subscribe(type, after);
  }
}

/** Incremental: DeltaAggregatedResources. */
export class DeltaAdsClient extends AdsTestClient {
  constructor(options: AdsTestClientOptions) {
    super(options, 'DeltaAggregatedResources');
    this.begin();
  }

  /** On a fresh stream Envoy re-lists its subscriptions and says which versions it holds. */
  protected resumeType(type: ResourceType, held: HeldState): void {
    this.subs.set(type, held.names);
    this.send(type, { resourceNamesSubscribe: held.names, initialResourceVersions: Object.fromEntries([...held.resources].map(([n, v]) => [n, v.version])) });
  }

  /** Per-resource versions held. */
  versionsOf(type: ResourceType): Record<string, string> {
    return Object.fromEntries([...this.holding.get(type)!].map(([n, r]) => [n, r.version]));
  }

  /** Adds names to the subscription (no nonce: a spontaneous request). */
  subscribe(type: ResourceType, names: string[], extra: Json = {}): void {
    this.subs.set(type, [...new Set([...(this.subs.get(type) ?? []), ...names])]);
    this.send(type, { resourceNamesSubscribe: names, ...extra });
  }

  /** Removes names from the subscription and forgets them, as Envoy does. */
  unsubscribe(type: ResourceType, names: string[]): void {
    this.subs.set(type, (this.subs.get(type) ?? []).filter((n) => !names.includes(n)));
    for (const n of names) if (n !== '*') this.holding.get(type)!.delete(n);
    this.send(type, { resourceNamesUnsubscribe: names });
  }

  send(type: ResourceType, fields: Json): void {
    const { node = 'node' in fields ? undefined : this.nodeOnce(), ...rest } = fields;
    this.write(this.protos.deltaDiscoveryRequest, { typeUrl: RESOURCE_TYPES[type], ...rest, ...(node ? { node } : {}) });
  }

  ack(entry: TimelineEntry): void {
    this.send(entry.type, { responseNonce: entry.nonce });
  }

  nack(entry: TimelineEntry, message: string): void {
    this.send(entry.type, { responseNonce: entry.nonce, errorDetail: { code: 13, message } });
  }

  state(): Map<ResourceType, HeldState> {
    const out = new Map<ResourceType, HeldState>();
    for (const t of this.types) if (this.subs.has(t)) out.set(t, { version: '', names: this.subs.get(t)!, resources: new Map(this.holding.get(t)!) });
    return out;
  }

  protected onResponse(buf: Buffer): void {
    const res = fromBinary(this.protos.deltaDiscoveryResponse, buf) as Json;
    const type = this.typeOf(res.typeUrl);
    if (!type) return void this.violations.push(`response for a type never asked for: ${res.typeUrl}`);
    const wrapped = res.resources as Json[];
    const problems: string[] = [];
    wrapped.forEach((r, i) => {
      if (!r.name) problems.push(`${type}[${i}]: Resource without name`);
      if (!r.version) problems.push(`${type}[${i}]: Resource without version`);
      if (!r.resource) problems.push(`${type}[${i}]: Resource without resource`);
    });
    const { resources, problem } = this.decodeAll(type, wrapped.filter((r) => r.resource).map((r) => r.resource), wrapped.filter((r) => r.resource).map((r) => r.name));
    const removed: string[] = res.removedResources;
    for (const n of removed) if (resources.has(n)) problems.push(`${n} is both sent and removed`);
    this.violations.push(...problems);
    const versions = Object.fromEntries(wrapped.map((r) => [r.name, r.version]));
    const entry = this.record({ type, version: res.systemVersionInfo, nonce: res.nonce, names: [...resources.keys()], removed, versions });
    if (!res.nonce) this.violations.push(`#${entry.seq}: a response without nonce`);
    this.answer(entry, resources, problem ?? (problems.length ? problems.join('; ') : undefined), () => {
      const held = this.holding.get(type)!;
      for (const [name, json] of resources) held.set(name, { json, version: versions[name]! });
      for (const name of removed) held.delete(name);
    });
  }

  protected resubscribe(type: ResourceType, before: string[], after: string[]): void {
    const added = after.filter((n) => !before.includes(n));
    const gone = before.filter((n) => !after.includes(n));
    this.subs.set(type, after);
    if (added.length || gone.length) this.send(type, { resourceNamesSubscribe: added, resourceNamesUnsubscribe: gone });
  }
}

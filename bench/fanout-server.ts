// The server side of the fan-out benchmark (bench/fanout.mjs bundles this file with esbuild and runs it
// as a child process with --expose-gc, driven over IPC). Two modes, one process each:
//
// - `bridge`: the bridge as deployed (startBridge: edge client, encoder, store, ADS server, status
//   reporter, metrics, ops server), whose edge is a fake behind its `fetch` option: the config is
//   rendered by the translator as the edge would, and the bridge fetches, encodes and store.apply()s it.
// - `floor`: a bare grpc-js server on the same ADS method with no xDS logic. It writes the same
//   pre-encoded DiscoveryResponse bytes, type by type in the bridge's order, and waits for each
//   stream's ACK (a request echoing the nonce) before the next type, as the bridge does.
//
// Both time the same thing the same way: from the moment the new version is handed over (the store's
// `change` event, or the floor's trigger) to the moment each stream's last ACK of it is read, on this
// process's clock.
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { performance } from 'node:perf_hooks';
import { DELIVERY_ORDER, type ResourceType } from '../xds';
import { startBridge } from '../gateway/bridge';
import { BRIDGE_CONFIG_DEFAULTS } from '../gateway/config';
import { createLogger } from '../gateway/ops/logger';
import { encodeSotwResponse, frameResources, responseFields } from '../gateway/protos/discovery-codec';
import { loadEnvoyProtos } from '../gateway/protos/envoy-protos';
import { SnapshotEncoder } from '../gateway/snapshot/encoder';
import { nodeClassOf } from '../gateway/snapshot/store';
import type { ViewSnapshot } from '../gateway/snapshot/types';
import { viewSource } from '../test/support/bridge-fixtures';

export type Mode = 'bridge' | 'floor';

export type ToServer =
  | { cmd: 'start'; mode: Mode; services: number; streams: number; descriptors: string }
  | { cmd: 'memory' }
  | { cmd: 'change'; step: number };

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  /** V8's committed heap: what RSS holds for the heap, used or not. */
  heapTotal: number;
  external: number;
}

/** One version's delivery: milliseconds from hand-over to each stream's last ACK, and per type. */
export interface RoundResult {
  t0Epoch: number;
  perStream: number[];
  perType: Partial<Record<ResourceType, number>>;
  changedTypes: ResourceType[];
  encodes: number;
  changedResources: number;
  pushes: number;
  nacks: number;
  prepareMs: number;
  /** Bytes of DiscoveryResponse one stream receives for this version (the floor knows; the bridge writes the same). */
  bytesPerStream?: number;
}

export type FromServer =
  | { event: 'ready'; port: number }
  | { event: 'converged'; ms: number; streams: number }
  | { event: 'memory'; reading: MemoryReading }
  | { event: 'changed'; result: RoundResult }
  | { event: 'failed'; message: string };

const VIEW = 'envoy|mesh';
/** What the bench's client subscribes to, in the bridge's delivery order (its config references no secrets). */
const CLIENT_TYPES: readonly ResourceType[] = DELIVERY_ORDER.filter((t) => ['clusters', 'endpoints', 'listeners', 'routes'].includes(t));
const LABELS = { app: 'bench' };
const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const ROUND_TIMEOUT_MS = 120_000;

/**
 * `services` ServiceEntries with two endpoints each (labels version=v1/v2), a DestinationRule with
 * subsets v1 and v2, and a VirtualService splitting 90/10: per service one default and two subset
 * clusters, so 3 × services clusters and assignments, one listener and one route configuration.
 */
class MeshConfig {
  private weights: number[];
  private v2Octet: number[];

  constructor(private readonly services: number) {
    this.weights = Array.from({ length: services }, () => 90);
    this.v2Octet = Array.from({ length: services }, () => 2);
  }

  /** Step k: one weight change and one endpoint change, on two services picked by k. */
  change(step: number): void {
    const w = (step * 37) % this.services;
    const e = (step * 37 + Math.floor(this.services / 2)) % this.services;
    this.weights[w] = 90 - 5 * step;
    this.v2Octet[e] = 100 + step;
  }

  yaml(): string {
    const docs: string[] = [];
    for (let i = 0; i < this.services; i++) {
      const host = `svc-${i}.bench.svc.cluster.local`;
      const net = `10.${i >> 8}.${i & 255}`;
      docs.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc-${i}, namespace: bench}
spec:
  hosts: [${host}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints:
  - {address: ${net}.1, labels: {version: v1}}
  - {address: ${net}.${this.v2Octet[i]}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}, namespace: bench}
spec:
  host: ${host}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}, namespace: bench}
spec:
  hosts: [${host}]
  http:
  - route:
    - destination: {host: ${host}, subset: v1}
      weight: ${this.weights[i]}
    - destination: {host: ${host}, subset: v2}
      weight: ${100 - this.weights[i]!}`);
    }
    return docs.join('\n---\n');
  }
}

/** Which stream has ACKed which type of the version being delivered; settles when every stream has all of them. */
class Round {
  readonly t0 = performance.now();
  private readonly pending = new Map<string, Set<ResourceType>>();
  private readonly perStream: number[] = [];
  private readonly perType: Partial<Record<ResourceType, number>> = {};
  private readonly left: Partial<Record<ResourceType, number>> = {};
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));

  constructor(
    keys: Iterable<string>,
    readonly types: ResourceType[],
  ) {
    for (const key of keys) this.pending.set(key, new Set(types));
    for (const t of types) this.left[t] = this.pending.size;
    if (this.pending.size === 0 || types.length === 0) this.resolve();
  }

  ack(key: string, type: ResourceType, now = performance.now()): void {
    const waiting = this.pending.get(key);
    if (!waiting?.delete(type)) return;
    if (--this.left[type]! === 0) this.perType[type] = now - this.t0;
    if (waiting.size === 0) {
      this.pending.delete(key);
      this.perStream.push(now - this.t0);
      if (this.pending.size === 0) this.resolve();
    }
  }

  get remaining(): number {
    return this.pending.size;
  }

  result(): Pick<RoundResult, 't0Epoch' | 'perStream' | 'perType' | 'changedTypes'> {
    return { t0Epoch: performance.timeOrigin + this.t0, perStream: this.perStream, perType: this.perType, changedTypes: this.types };
  }
}

/** The first version: resolves once `streams` streams have ACKed `types` new versions each. */
class Convergence {
  private readonly counts = new Map<string, number>();
  private converged = 0;
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));

  constructor(
    private readonly streams: number,
    private readonly types: number,
  ) {}

  ack(key: string): void {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n === this.types && ++this.converged === this.streams) this.resolve();
  }
}

function withTimeout(round: Round, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: ${round.remaining} streams had not ACKed after ${ROUND_TIMEOUT_MS / 1000} s`)), ROUND_TIMEOUT_MS);
  });
  return Promise.race([round.done, timeout]).finally(() => clearTimeout(timer));
}

/** Distinct resources (by type and content) in `next` that `prev` did not have: what an encoder should encode. */
function changedResources(prev: ViewSnapshot['source'] | undefined, next: ViewSnapshot['source']): number {
  const keys = (s: ViewSnapshot['source']) => new Set(Object.entries(s.types).flatMap(([url, t]) => t.resources.map((r) => `${url}\n${JSON.stringify(r)}`)));
  const before = prev ? keys(prev) : new Set<string>();
  let n = 0;
  for (const k of keys(next)) if (!before.has(k)) n++;
  return n;
}

const changedTypes = (prev: ViewSnapshot | undefined, next: ViewSnapshot) => CLIENT_TYPES.filter((t) => prev?.types[t].version !== next.types[t].version);

function memory(): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

interface ServerMode {
  port: number;
  /** Resolves when `streams` streams have ACKed every type of the first version. */
  converged: Promise<void>;
  change(step: number): Promise<RoundResult>;
}

/**
 * The edge, as far as the bridge's edge client sees it: POST /api/v1/snapshots answers the current
 * revision of the one view (304 when the bridge names it), POST /api/v1/proxies/status takes the
 * reports. Rendering happens in `publish`, ahead of the bridge's poll, as the edge does it on a write.
 */
class FakeEdge {
  revision = 0;
  source?: ViewSnapshot['source'];
  private answer = '';

  async publish(config: MeshConfig): Promise<void> {
    this.source = await viewSource(config.yaml(), VIEW);
    this.revision++;
    this.answer = JSON.stringify(this.source);
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    if (path === '/api/v1/proxies/status') return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    if (path !== '/api/v1/snapshots') return new Response('not found', { status: 404 });
    const body = JSON.parse(String(init?.body)) as { revision?: number; nodes: unknown[]; have?: Record<string, string> };
    if (body.revision === this.revision) return new Response(null, { status: 304 });
    const snapshots = body.nodes.length && body.have?.[VIEW] !== this.source!.version ? `{"${VIEW}":${this.answer}}` : '{}';
    const views = JSON.stringify(body.nodes.map(() => VIEW));
    return new Response(`{"revision":${this.revision},"views":${views},"snapshots":${snapshots}}`, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

const counted = async (metric: { get(): Promise<{ values: { value: number }[] }> }) => (await metric.get()).values.reduce((n, v) => n + v.value, 0);

async function startBridgeMode(opts: Extract<ToServer, { cmd: 'start' }>): Promise<ServerMode> {
  const config = new MeshConfig(opts.services);
  const edge = new FakeEdge();
  await edge.publish(config);
  // The production default level; info lines are rendered as in production, then dropped here.
  const logger = createLogger({ level: 'info', stream: { write: (line: string) => !line.includes('"level":"info"') && process.stderr.write(line) } });
  const bridge = await startBridge({
    config: { ...BRIDGE_CONFIG_DEFAULTS, edgeUrl: 'http://edge.bench.invalid', token: 'bench', adsAddress: '127.0.0.1:0', opsAddress: '127.0.0.1:0', bridgeId: 'bench-bridge', logLevel: 'info' },
    logger,
    descriptorsPath: opts.descriptors,
    fetch: edge.fetch,
  });
  const { store, metrics, reporter } = bridge;

  // The class every stream will be in, known before any connects (as after a restart with a state
  // file), so the snapshot is fetched and encoded before the zero-stream memory reading.
  const nodeClass = nodeClassOf({ id: '', userAgentName: 'envoy', labels: LABELS });
  store.restoreClasses([{ nodeClass, view: VIEW }]);
  while (store.views.get(VIEW)?.revision !== edge.revision) await bridge.edge.pollOnce();

  const ids = new Set<string>();
  let round: Round | undefined;
  let expected: { revision: number; prev: ViewSnapshot } | undefined;
  const convergence = new Convergence(opts.streams, CLIENT_TYPES.length);
  // Registered before any stream's listener, so it runs first when store.apply emits `change`.
  store.on('change', () => {
    const next = store.views.get(VIEW);
    if (!expected || !next || next.revision !== expected.revision) return;
    round = new Round(ids, changedTypes(expected.prev, next));
  });

  // On an ACK of a new version the bridge's observer calls metrics.changeToAck.observe({type}) and
  // then, synchronously, reporter.update(node, ...) for the same stream: together they say who ACKed what.
  const histogram = metrics.changeToAck;
  const observe = histogram.observe.bind(histogram);
  let newer: string | undefined;
  histogram.observe = ((labels: { type: ResourceType }, value: number) => {
    newer = labels.type;
    observe(labels, value);
  }) as typeof histogram.observe;
  const update = reporter.update.bind(reporter);
  reporter.update = (node, view, type, status) => {
    if (newer === type) {
      if (round) round.ack(node.id, type as ResourceType); // the benchmark's views carry no secrets
      else {
        ids.add(node.id);
        convergence.ack(node.id);
      }
    }
    newer = undefined;
    update(node, view, type, status);
  };

  return {
    port: bridge.adsPort,
    converged: convergence.done,
    async change(step) {
      const [encodes0, pushes0, nacks0] = [await counted(metrics.encodes), await counted(metrics.pushes), await counted(metrics.nacks)];
      const prev = store.views.get(VIEW)!;
      config.change(step);
      const started = performance.now();
      const before = edge.source;
      await edge.publish(config);
      expected = { revision: edge.revision, prev };
      // The next poll would find it within a second; ask now. The bridge fetches, encodes, applies.
      while (store.views.get(VIEW)?.revision !== edge.revision) await bridge.edge.pollOnce();
      const r = round!;
      const prepareMs = r.t0 - started;
      await withTimeout(r, `bridge step ${step}`);
      return {
        ...r.result(),
        encodes: (await counted(metrics.encodes)) - encodes0,
        changedResources: changedResources(before, edge.source!),
        pushes: (await counted(metrics.pushes)) - pushes0,
        nacks: (await counted(metrics.nacks)) - nacks0,
        prepareMs,
      };
    },
  };
}

/** Reads response_nonce (field 5) of a DiscoveryRequest, skipping everything else: all the floor knows of xDS. */
function nonceOf(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  let nonce = '';
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 5 && wireType === WireType.LengthDelimited) nonce = reader.string();
    else reader.skip(wireType);
  }
  return nonce;
}

interface FloorStream {
  key: string;
  call: grpc.ServerDuplexStream<Buffer, Buffer>;
  queue: { nonce: string; type: ResourceType; bytes: Buffer }[];
  inFlight?: { nonce: string; type: ResourceType };
}

async function startFloorMode(opts: Extract<ToServer, { cmd: 'start' }>): Promise<ServerMode> {
  // Rendering and encoding happen before the trigger: the floor only moves bytes.
  const protos = loadEnvoyProtos(opts.descriptors);
  const fields = responseFields(protos);
  const encoder = new SnapshotEncoder(protos);
  const config = new MeshConfig(opts.services);
  let revision = 0;
  let snapshot: ViewSnapshot | undefined;

  async function responses(): Promise<{ types: ResourceType[]; messages: FloorStream['queue'] }> {
    const next = encoder.encodeView(VIEW, await viewSource(config.yaml(), VIEW), ++revision, Date.now());
    const types = changedTypes(snapshot, next);
    snapshot = next;
    // Exactly what the bridge writes for a stream subscribed to everything (SotwStream.respond), one nonce per message.
    const messages = types.map((type) => {
      const t = next.types[type];
      const sorted = [...t.resources.keys()].sort().map((name) => t.resources.get(name)!.any);
      const nonce = `${revision}-${type}`;
      const bytes = encodeSotwResponse(fields, { versionInfo: t.version, typeUrl: t.typeUrl, nonce, resources: frameResources(fields, sorted), controlPlane: 'bench-floor' });
      return { nonce, type, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    });
    return { types, messages };
  }

  let current = await responses();
  const streams = new Set<FloorStream>();
  let round: Round | undefined;
  const convergence = new Convergence(opts.streams, 1);
  let next = 0;

  const send = (s: FloorStream) => {
    const m = s.queue.shift();
    if (!m) return;
    s.inFlight = { nonce: m.nonce, type: m.type };
    s.call.write(m.bytes);
  };

  const raw = (b: Buffer) => b;
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService({ StreamAggregatedResources: { path: ADS_PATH, requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } } as unknown as grpc.ServiceDefinition, {
    StreamAggregatedResources(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
      const s: FloorStream = { key: String(next++), call, queue: [] };
      let started = false;
      call.on('data', (buf: Buffer) => {
        if (!started) {
          // The stream's first request: deliver the current version, all types, in order.
          started = true;
          streams.add(s);
          s.queue = [...current.messages];
          return send(s);
        }
        if (!s.inFlight || nonceOf(buf) !== s.inFlight.nonce) return;
        const { type } = s.inFlight;
        s.inFlight = undefined;
        if (round) round.ack(s.key, type);
        if (s.queue.length) send(s);
        else if (!round) convergence.ack(s.key);
      });
      const done = () => streams.delete(s);
      call.on('end', () => {
        done();
        call.end();
      });
      call.on('error', done);
      call.on('cancelled', done);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));

  return {
    port,
    converged: convergence.done,
    async change(step) {
      config.change(step);
      const started = performance.now();
      current = await responses();
      const prepareMs = performance.now() - started;
      const r = (round = new Round([...streams].map((s) => s.key), current.types));
      for (const s of streams) {
        s.queue = [...current.messages];
        send(s);
      }
      await withTimeout(r, `floor step ${step}`);
      return { ...r.result(), changedTypes: current.types, encodes: 0, changedResources: 0, pushes: streams.size * current.messages.length, nacks: 0, prepareMs, bytesPerStream: current.messages.reduce((n, m) => n + m.bytes.length, 0) };
    },
  };
}

let mode: ServerMode | undefined;
const reply = (m: FromServer) => process.send!(m);

process.on('message', async (m: ToServer) => {
  try {
    if (m.cmd === 'start') {
      mode = m.mode === 'bridge' ? await startBridgeMode(m) : await startFloorMode(m);
      const started = performance.now();
      void mode.converged.then(() => reply({ event: 'converged', ms: performance.now() - started, streams: m.streams }));
      reply({ event: 'ready', port: mode.port });
    } else if (m.cmd === 'memory') {
      reply({ event: 'memory', reading: memory() });
    } else if (m.cmd === 'change') {
      reply({ event: 'changed', result: await mode!.change(m.step) });
    }
  } catch (err) {
    reply({ event: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
// The orchestrator went away (it also kills this process when done): so does this process.
process.on('disconnect', () => process.exit(0));

// The floor of the fan-out benchmark: a bare grpc-js server on the ADS method with no xDS logic.
// It writes the same pre-encoded DiscoveryResponse bytes as the bridge, type by type in the bridge's
// order, and waits for each stream's ACK before the next type, as the bridge does.
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { performance } from 'node:perf_hooks';
import type { ResourceType } from '../xds';
import { encodeSotwResponse, frameResources, responseFields } from '../gateway/protos/discovery-codec';
import { loadEnvoyProtos } from '../gateway/protos/envoy-protos';
import { SnapshotEncoder } from '../gateway/snapshot/encoder';
import type { ViewSnapshot } from '../gateway/snapshot/types';
import { viewSource } from '../test/support/bridge-fixtures';
import { ADS_PATH, changedBytes, changedTypes, CLASS_HEADER, CLIENT_TYPES, Convergence, MeshConfig, Round, sharedServices, sliceSource, VIEW, viewOf, withTimeout, type ServerMode, type ToServer } from './fanout-shared';

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
  /** Its node class (from the client's metadata: the floor reads no node). */
  k: number;
  call: grpc.ServerDuplexStream<Buffer, Buffer>;
  queue: { nonce: string; type: ResourceType; bytes: Buffer }[];
  inFlight?: { nonce: string; type: ResourceType };
}

export async function startFloorMode(opts: Extract<ToServer, { cmd: 'start' }>): Promise<ServerMode> {
  // Rendering and encoding happen before the trigger: the floor only moves bytes.
  const protos = loadEnvoyProtos(opts.descriptors);
  const fields = responseFields(protos);
  const encoder = new SnapshotEncoder(protos);
  const config = new MeshConfig(opts.services);
  let revision = 0;
  const snapshots: (ViewSnapshot | undefined)[] = [];

  /** Per class: the types this version changes, the bytes of its changed resources, and its messages. */
  async function responses(): Promise<{ types: ResourceType[]; changedBytes: number; messages: FloorStream['queue'] }[]> {
    const whole = await viewSource(config.yaml(), VIEW);
    revision++;
    return Array.from({ length: opts.classes }, (_, k) => classResponses(k, encoder.encodeView(viewOf(k, opts.classes), sliceSource(whole, k, opts.classes, opts.services), revision, Date.now())));
  }

  function classResponses(k: number, next: ViewSnapshot): { types: ResourceType[]; changedBytes: number; messages: FloorStream['queue'] } {
    const prev = snapshots[k];
    const types = changedTypes(prev, next);
    snapshots[k] = next;
    // What the protocol requires a stream subscribed to everything to get, one nonce per message: CDS and LDS
    // whole (SotW full state), and of EDS and RDS only what changed (the floor for bytes, xds-protocol.md §2.5).
    const messages = types.map((type) => {
      const t = next.types[type];
      const changed = (name: string) => type === 'clusters' || type === 'listeners' || prev?.types[type].resources.get(name)?.hash !== t.resources.get(name)!.hash;
      const sorted = [...t.resources.keys()].sort().filter(changed).map((name) => t.resources.get(name)!.any);
      const nonce = `${revision}-${k}-${type}`;
      const bytes = encodeSotwResponse(fields, { versionInfo: t.version, typeUrl: t.typeUrl, nonce, resources: frameResources(fields, sorted), controlPlane: 'bench-floor' });
      return { nonce, type, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    });
    return { types, changedBytes: changedBytes(prev, next), messages };
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
      const s: FloorStream = { key: String(next++), k: Number(call.metadata.get(CLASS_HEADER)[0] ?? 0), call, queue: [] };
      let started = false;
      call.on('data', (buf: Buffer) => {
        if (!started) {
          // The stream's first request: deliver the current version, all types, in order.
          started = true;
          streams.add(s);
          s.queue = [...current[s.k]!.messages];
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
    async change(step, kind) {
      config.change(step, kind, sharedServices(opts.services, opts.classes));
      const started = performance.now();
      current = await responses();
      const prepareMs = performance.now() - started;
      const union = CLIENT_TYPES.filter((t) => current.some((c) => c.types.includes(t)));
      const r = (round = new Round(new Map([...streams].map((s) => [s.key, current[s.k]!.types])), union));
      let pushes = 0;
      for (const s of streams) {
        s.queue = [...current[s.k]!.messages];
        pushes += s.queue.length;
        send(s);
      }
      await withTimeout(r, `floor step ${step}`);
      return { ...r.result(), changedTypes: union, encodes: 0, changedResources: 0, pushes, nacks: 0, prepareMs, changedBytes: current.map((c) => c.changedBytes) };
    },
  };
}

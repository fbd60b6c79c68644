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
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { nodeClassOf, type ResourceType } from '../xds';
import { startBridge } from '../gateway/bridge';
import { BRIDGE_CONFIG_DEFAULTS } from '../gateway/config';
import { createLogger } from '../gateway/ops/logger';
import type { ViewSnapshot } from '../gateway/snapshot/types';
import { viewSource } from '../test/support/bridge-fixtures';
import { startFloorMode } from './fanout-floor';
import { changedBytes, changedResources, changedTypes, CLIENT_TYPES, Convergence, labelsOf, memory, MeshConfig, Round, sharedServices, sliceSource, VIEW, viewOf, withTimeout, type FromServer, type RoundResult, type ServerMode, type ToServer } from './fanout-shared';

export type { FromServer, MemoryReading, Mode, RoundResult, ToServer } from './fanout-shared';

/**
 * The edge, as far as the bridge's edge client sees it: POST /api/v1/snapshots answers the current
 * revision of each class's view (304 when the bridge names it), POST /api/v1/proxies/status takes the
 * reports. Rendering happens in `publish`, ahead of the bridge's poll, as the edge does it on a write.
 * With several classes, the node label `class` picks the view (sliceSource: a Sidecar per class).
 */
class FakeEdge {
  revision = 0;
  source?: ViewSnapshot['source'];
  private answers = new Map<string, { version: string; json: string }>();

  constructor(
    private readonly classes: number,
    private readonly services: number,
  ) {}

  async publish(config: MeshConfig): Promise<void> {
    this.source = await viewSource(config.yaml(), VIEW);
    this.revision++;
    for (let k = 0; k < this.classes; k++) {
      const slice = sliceSource(this.source, k, this.classes, this.services);
      this.answers.set(viewOf(k, this.classes), { version: slice.version, json: JSON.stringify(slice) });
    }
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    if (path === '/api/v1/proxies/status') return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    if (path !== '/api/v1/snapshots') return new Response('not found', { status: 404 });
    const body = JSON.parse(String(init?.body)) as { revision?: number; nodes: { labels?: Record<string, string> }[]; have?: Record<string, string> };
    if (body.revision === this.revision) return new Response(null, { status: 304 });
    const views = body.nodes.map((n) => (this.classes > 1 ? viewOf(Number(n.labels?.class?.slice(1) ?? 0), this.classes) : VIEW));
    const snapshots = [...new Set(views)].filter((v) => body.have?.[v] !== this.answers.get(v)!.version).map((v) => `${JSON.stringify(v)}:${this.answers.get(v)!.json}`);
    return new Response(`{"revision":${this.revision},"views":${JSON.stringify(views)},"snapshots":{${snapshots.join(',')}}}`, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

const counted = async (metric: { get(): Promise<{ values: { value: number }[] }> }) => (await metric.get()).values.reduce((n, v) => n + v.value, 0);

async function startBridgeMode(opts: Extract<ToServer, { cmd: 'start' }>): Promise<ServerMode> {
  const config = new MeshConfig(opts.services);
  const edge = new FakeEdge(opts.classes, opts.services);
  const views = Array.from({ length: opts.classes }, (_, k) => viewOf(k, opts.classes));
  const current = () => views.every((v) => store.views.get(v)?.revision === edge.revision);
  await edge.publish(config);
  // The production default level; info lines are rendered as in production, then dropped here.
  const logger = createLogger({ level: 'info', stream: { write: (line: string) => !line.includes('"level":"info"') && process.stderr.write(line) } });
  const bridge = await startBridge({
    config: { ...BRIDGE_CONFIG_DEFAULTS, edgeUrl: 'http://edge.bench.invalid', token: 'bench', adsAddress: '127.0.0.1:0', opsAddress: '127.0.0.1:0', bridgeId: 'bench-bridge', logLevel: 'info', adsAllowPlaintext: true },
    logger,
    descriptorsPath: opts.descriptors,
    fetch: edge.fetch,
    // Production's 15 s ACK wait, after which a stream is sent on unACKed, is shorter than a first
    // version of thousands of streams takes on two loaded cores: wait for every ACK, as the floor does.
    ackTimeoutMs: 600_000,
  });
  const { store, metrics, reporter } = bridge;

  // The classes streams will be in, known before any connects (as after a restart with a state
  // file), so the snapshots are fetched and encoded before the zero-stream memory reading.
  store.restoreClasses(views.map((view, k) => ({ nodeClass: nodeClassOf({ id: '', userAgentName: 'envoy', labels: labelsOf(k, opts.classes) }), view })));
  while (!current()) await bridge.edge.pollOnce();

  /** Each stream's view, learned from its first ACKs. */
  const ids = new Map<string, string>();
  let round: Round | undefined;
  let expected: { revision: number; prev: Map<string, ViewSnapshot> } | undefined;
  let changed: Map<string, ResourceType[]> = new Map();
  const convergence = new Convergence(opts.streams, CLIENT_TYPES.length);
  // Registered before any stream's listener, so it runs first when store.apply emits `change`.
  store.on('change', () => {
    if (!expected || !current()) return;
    changed = new Map(views.map((v) => [v, changedTypes(expected!.prev.get(v), store.views.get(v)!)]));
    const union = CLIENT_TYPES.filter((t) => [...changed.values()].some((ts) => ts.includes(t)));
    round = new Round(new Map([...ids].map(([id, view]) => [id, changed.get(view)!])), union);
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
        ids.set(node.id, view);
        convergence.ack(node.id);
      }
    }
    newer = undefined;
    update(node, view, type, status);
  };

  return {
    port: bridge.adsPort,
    converged: convergence.done,
    async change(step, kind) {
      const [encodes0, pushes0, nacks0] = [await counted(metrics.encodes), await counted(metrics.pushes), await counted(metrics.nacks)];
      const prev = new Map(views.map((v) => [v, store.views.get(v)!]));
      config.change(step, kind, sharedServices(opts.services, opts.classes));
      const started = performance.now();
      const before = edge.source;
      await edge.publish(config);
      expected = { revision: edge.revision, prev };
      // The next poll would find it within a second; ask now. The bridge fetches, encodes, applies.
      while (!current()) await bridge.edge.pollOnce();
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
        changedBytes: views.map((v) => changedBytes(prev.get(v), store.views.get(v)!)),
      };
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
      const reading = memory();
      // BENCH_HEAP_SNAPSHOTS=<dir>: a heap snapshot at each reading, to see where memory per stream goes.
      if (process.env.BENCH_HEAP_SNAPSHOTS) writeHeapSnapshot(join(process.env.BENCH_HEAP_SNAPSHOTS, `${m.cmd}-${process.pid}-${Date.now()}.heapsnapshot`));
      reply({ event: 'memory', reading });
    } else if (m.cmd === 'change') {
      reply({ event: 'changed', result: await mode!.change(m.step, m.kind) });
    }
  } catch (err) {
    reply({ event: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
// The orchestrator went away (it also kills this process when done): so does this process.
process.on('disconnect', () => process.exit(0));

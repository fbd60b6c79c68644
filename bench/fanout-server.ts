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
import { performance } from 'node:perf_hooks';
import { nodeClassOf, type ResourceType } from '../xds';
import { startBridge } from '../gateway/bridge';
import { BRIDGE_CONFIG_DEFAULTS } from '../gateway/config';
import { createLogger } from '../gateway/ops/logger';
import type { ViewSnapshot } from '../gateway/snapshot/types';
import { viewSource } from '../test/support/bridge-fixtures';
import { startFloorMode } from './fanout-floor';
import { changedResources, changedTypes, CLIENT_TYPES, Convergence, LABELS, memory, MeshConfig, Round, VIEW, withTimeout, type FromServer, type RoundResult, type ServerMode, type ToServer } from './fanout-shared';

export type { FromServer, MemoryReading, Mode, RoundResult, ToServer } from './fanout-shared';

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

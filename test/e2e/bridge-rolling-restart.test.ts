import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_ORDER, type ResourceType } from '../../xds';
import { DeltaAdsClient, SotwAdsClient, type AdsTestClient, type HeldState } from '../support/ads-test-client';
import { startEcho, xdsEchoClient, type EchoBackend, type EchoClient } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { continuousCalls, eventually, sleep } from '../support/echo-traffic';
import { startEdge, type RunningEdge } from '../support/start-server';

// A rolling restart of two bridge replicas behind one address, as Kubernetes does it (deploy/kubernetes:
// maxUnavailable 0, PodDisruptionBudget minAvailable 1): each replica is a real bridge process
// (dist/bridge.mjs) sent a real SIGTERM, restarted, and waited for until ready before the next one goes.
// Real @grpc/grpc-js-xds clients call through a weighted split the whole time, and Envoy-like ADS
// clients (SotW and delta) reconnect as Envoy does: on the channel they have, with their versions.
//
// The Service is a double: there is no Kubernetes here, so a small TCP proxy in this file stands in for
// kube-proxy and the endpoints controller. It sends each new connection to the next replica whose
// /readyz answers 200 (a Service's endpoints hold only ready pods) and that is not terminating: as
// Kubernetes does, the test takes a replica out of the endpoints, waits out a short preStop pause
// (deploy/kubernetes/deployment.yaml), and only then sends SIGTERM.
const root = join(import.meta.dirname, '..', '..');
const EDGE_PORT = 8799;
const HOST = 'echo.rolling.svc.cluster.local';
const GRPC_CLIENTS = 3;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

interface Replica {
  name: string;
  adsPort: number;
  opsPort: number;
  child?: ChildProcess;
  exited?: Promise<{ code: number | null; signal: string | null }>;
  log: string;
}

/** kube-proxy's part, for one Service port over the replicas' ADS ports (see the comment at the top). */
class ServiceDouble {
  private server?: Server;
  private next = 0;
  private readonly ready = new Map<Replica, boolean>();
  /** Terminating replicas: out of the endpoints whatever their readiness. */
  readonly terminating = new Set<Replica>();
  private poller?: NodeJS.Timeout;
  readonly open = new Set<Socket>();
  port = 0;

  constructor(private readonly replicas: Replica[]) {}

  async start(): Promise<void> {
    const poll = async () => {
      await Promise.all(
        this.replicas.map(async (r) => {
          try {
            this.ready.set(r, (await fetch(`http://127.0.0.1:${r.opsPort}/readyz`, { signal: AbortSignal.timeout(500) })).ok);
          } catch {
            this.ready.set(r, false);
          }
        }),
      );
      this.poller = setTimeout(poll, 50);
    };
    await poll();
    this.server = createServer((socket) => this.route(socket, this.replicas.filter((r) => !this.terminating.has(r))));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private route(socket: Socket, candidates: Replica[]): void {
    const ready = candidates.filter((r) => this.ready.get(r));
    const pool = ready.length ? ready : candidates;
    if (!pool.length) return void socket.destroy();
    const target = pool[this.next++ % pool.length]!;
    const upstream = connect(target.adsPort, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.open.add(socket);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => {
      if (!connected) return this.route(socket, candidates.filter((r) => r !== target));
      socket.destroy();
    });
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => {
      this.open.delete(socket);
      upstream.destroy();
    });
    upstream.on('close', () => socket.destroy());
  }

  async stop(): Promise<void> {
    clearTimeout(this.poller);
    for (const s of this.open) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * An Envoy-like ADS client that follows the Service: when its stream ends it opens the next one at
 * once on the same channel, with the versions and resources it holds (Envoy's reconnect). Every stream
 * is kept, to check what each resumed one was sent.
 */
class Follower {
  readonly streams: AdsTestClient[] = [];
  private stopped = false;

  constructor(
    private readonly make: (options: { port: number; node: { id: string }; resume?: Map<ResourceType, HeldState>; channel?: grpc.Client }) => AdsTestClient,
    private readonly port: number,
    private readonly id: string,
  ) {
    this.open();
  }

  get current(): AdsTestClient {
    return this.streams.at(-1)!;
  }

  private open(resume?: Map<ResourceType, HeldState>, channel?: grpc.Client): void {
    const c = this.make({ port: this.port, node: { id: this.id }, ...(resume ? { resume } : {}), ...(channel ? { channel } : {}) });
    this.streams.push(c);
    void c.closed.then(async (status) => {
      // Envoy retries a failed stream after a backoff; one that ended OK is reopened at once.
      if (status.code !== grpc.status.OK) await sleep(200);
      if (!this.stopped) this.open((c as SotwAdsClient).state(), c.channel);
    });
  }

  close(): void {
    this.stopped = true;
    this.current.close();
    this.streams[0]!.channel.close();
  }
}

const heldOf = (c: AdsTestClient) => Object.fromEntries(DELIVERY_ORDER.map((t) => [t, Object.fromEntries(c.held(t))]));

describe('a rolling restart of two bridge replicas behind one Service', () => {
  let edge: RunningEdge | undefined;
  let token: string;
  let v1: EchoBackend;
  let v2: EchoBackend;
  const replicas: Replica[] = [];
  let service: ServiceDouble;

  const apply = async (yaml: string) => {
    const res = await fetch(`${edge!.base}/api/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }, body: yaml });
    expect(res.ok, await res.clone().text()).toBe(true);
  };
  const manifest = (w1: number, w2: number) => echoMesh({ host: HOST, namespace: 'rolling', endpoints: { v1: v1.port, v2: v2.port }, weights: { v1: w1, v2: w2 } });

  /** Starts (or restarts, on its ports) one replica: stateless, no state file. */
  async function start(r: Replica): Promise<void> {
    r.log = '';
    const child = spawn(process.execPath, [join(root, 'dist', 'bridge.mjs')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        XDSFLARE_EDGE_URL: edge!.base,
        XDSFLARE_TOKEN: token,
        XDSFLARE_ADS_ADDRESS: `127.0.0.1:${r.adsPort}`,
        XDSFLARE_OPS_ADDRESS: `127.0.0.1:${r.opsPort}`,
        XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true',
        XDSFLARE_BRIDGE_ID: r.name,
        XDSFLARE_POLL_INTERVAL_MS: '300',
        XDSFLARE_DRAIN_TIMEOUT_MS: '8000',
        XDSFLARE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (r.log += d));
    child.stderr!.on('data', (d) => (r.log += d));
    r.child = child;
    r.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await eventually(async () => ((await fetch(`http://127.0.0.1:${r.opsPort}/readyz`).catch(() => undefined))?.ok ? true : undefined), 30_000, 100);
  }

  /** Open ADS streams a replica counts, by protocol (its own metric). */
  async function streamsOn(r: Replica): Promise<{ sotw: number; delta: number }> {
    const text = await (await fetch(`http://127.0.0.1:${r.opsPort}/metrics`)).text();
    const gauge = (p: string) => Number(new RegExp(`^xdsflare_bridge_connected_proxies\\{protocol="${p}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { sotw: gauge('sotw'), delta: gauge('delta') };
  }

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startEcho('v1'), startEcho('v2')]);
    // npm start's script builds dist/bridge.mjs and runs the edge alone here: the replicas are ours.
    edge = await startEdge(EDGE_PORT, { env: { XDSFLARE_NO_BRIDGE: '1' } });
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
    await apply(manifest(80, 20));
    for (const name of ['replica-a', 'replica-b']) replicas.push({ name, adsPort: await freePort(), opsPort: await freePort(), log: '' });
    for (const r of replicas) await start(r);
    service = new ServiceDouble(replicas);
    await service.start();
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    for (const r of replicas) r.child?.kill('SIGKILL');
    await edge?.stop();
    await Promise.all([v1?.stop(), v2?.stop()]);
  });

  it('moves every stream over with 0 failed calls, and each Envoy-like client resumes with its versions and is sent nothing twice', async () => {
    const clients: EchoClient[] = [];
    for (let i = 0; i < GRPC_CLIENTS; i++) clients.push(await xdsEchoClient(service.port, `${HOST}:7070`, `rolling-grpc-${i}`));
    const sotw = new Follower((o) => new SotwAdsClient(o), service.port, 'rolling-envoy-sotw');
    const delta = new Follower((o) => new DeltaAdsClient(o), service.port, 'rolling-envoy-delta');
    // Every client has its config before the restart begins.
    for (const c of clients) await eventually(async () => ((await c.call().catch(() => undefined)) ? true : undefined), 15_000);
    for (const f of [sotw, delta]) await f.current.waitFor((c) => c.heldNames('routes').length > 0 && c.heldNames('endpoints').length > 0, 15_000, 'the first config');
    const before = { sotw: heldOf(sotw.current), delta: heldOf(delta.current) };
    const traffic = clients.map((c) => continuousCalls(c.call, 2));
    const all = { sotw: GRPC_CLIENTS + 1, delta: 1 };
    try {
      await eventually(async () => {
        const [a, b] = await Promise.all(replicas.map(streamsOn));
        return a!.sotw + b!.sotw === all.sotw && a!.delta + b!.delta === all.delta ? true : undefined;
      }, 15_000);

      for (const [i, r] of replicas.entries()) {
        const other = replicas[1 - i]!;
        // Kubernetes: the pod leaves the endpoints, its preStop pause runs, then SIGTERM.
        service.terminating.add(r);
        await sleep(300);
        r.child!.kill('SIGTERM');
        // It drains and exits by itself, well inside its drain timeout: no SIGKILL was needed.
        expect(await r.exited).toEqual({ code: 0, signal: null });
        expect(r.log).toContain('"msg":"shutdown complete"');
        // Every stream is now on the other replica.
        await eventually(async () => ((s) => (s.sotw === all.sotw && s.delta === all.delta ? true : undefined))(await streamsOn(other)), 15_000);
        await sleep(500); // calls keep flowing while only one replica serves
        await start(r);
        service.terminating.delete(r);
      }
    } finally {
      await Promise.all(traffic.map((t) => t.stop()));
    }

    // 0 failed calls, and they kept landing on both subsets of the split throughout.
    for (const t of traffic) {
      expect(t.failures).toEqual([]);
      expect(t.total).toBeGreaterThan(50);
      expect(Object.keys(t.counts).sort()).toEqual(['v1', 'v2']);
    }
    for (const f of [sotw, delta]) {
      // One stream per replica it was on: each stream after the first went straight to a serving replica
      // on the channel it had (not refused by a draining one), ended OK when its replica drained.
      expect(f.streams.length).toBeGreaterThanOrEqual(2);
      expect(await Promise.all(f.streams.slice(0, -1).map((s) => s.closed))).toEqual(f.streams.slice(0, -1).map(() => ({ code: grpc.status.OK, details: expect.any(String) })));
      for (const s of f.streams) expect(s.violations).toEqual([]);
    }
    // SotW has no resume: each new stream is answered once per type, at the versions the client held.
    for (const s of sotw.streams.slice(1)) {
      await s.waitFor((c) => DELIVERY_ORDER.every((t) => c.since(0, t).length > 0), 10_000, 'an answer of every type');
      await s.quiet();
      for (const t of DELIVERY_ORDER) expect(s.since(0, t).map((e) => [e.version, e.verdict]), s.describe()).toEqual([[(sotw.streams[0] as SotwAdsClient).accepted.get(t), 'ack']]);
    }
    // Delta resumes: the client names what it has, and a resumed stream is sent none of it again.
    for (const s of delta.streams.slice(1)) {
      await s.quiet();
      expect(s.timeline.flatMap((e) => [...e.names, ...e.removed])).toEqual([]);
    }
    // Nothing missing: each holds what it held before the restart.
    expect(heldOf(sotw.current)).toEqual(before.sotw);
    expect(heldOf(delta.current)).toEqual(before.delta);

    // The restarted replicas serve the next change: the split moves, and the Envoy-like clients get it once.
    const marks = [sotw, delta].map((f) => f.current.timeline.length);
    await apply(manifest(20, 80));
    for (const c of clients) {
      await eventually(async () => {
        let v2n = 0;
        for (let i = 0; i < 50; i++) if ((await c.call()) === 'v2') v2n++;
        return v2n > 30 ? true : undefined;
      }, 20_000);
    }
    for (const [i, f] of [sotw, delta].entries()) {
      await f.current.waitFor((c) => c.since(marks[i]!, 'routes').length > 0, 15_000, 'the weight change');
      await f.current.quiet();
      expect(f.current.since(marks[i]!).map((e) => e.type)).toEqual(['routes']);
    }
    for (const c of clients) c.close();
    sotw.close();
    delta.close();
  }, 240_000);
});

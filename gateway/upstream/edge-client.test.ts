import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envoyProtos, viewSource } from '../../test/support/bridge-fixtures';
import { SnapshotEncoder } from '../snapshot/encoder';
import { nodeClassOf } from '../../xds';
import { SnapshotStore } from '../snapshot/store';
import { EdgeClient, type EdgeClientOptions } from './edge-client';

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a, namespace: t}
spec:
  hosts: [a.t.svc]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1}]
`;

interface Call {
  body: any;
  headers: Headers;
}

/** A fake edge: answers with whatever the test queues, and records what the bridge sent. */
function fakeEdge(answers: (() => Response | Promise<Response>)[]) {
  const calls: Call[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    expect(String(url)).toBe('http://edge.test/api/v1/snapshots');
    calls.push({ body: JSON.parse(String(init.body)), headers: new Headers(init.headers) });
    const next = answers.shift();
    if (!next) throw new Error('no answer queued');
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

const json = (body: unknown, status = 200) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('EdgeClient', () => {
  const grpcClass = nodeClassOf({ id: 'n', userAgentName: 'gRPC Node Pure JS', labels: {} });
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  function client(answers: (() => Response | Promise<Response>)[], extra: Partial<EdgeClientOptions> = {}) {
    const store = new SnapshotStore();
    const encoder = new SnapshotEncoder(envoyProtos());
    const edge = fakeEdge(answers);
    const results: string[] = [];
    const c = new EdgeClient({ edgeUrl: 'http://edge.test', token: 'tkn', store, encoder, pollIntervalMs: 1000, pollJitter: 0.2, backoffMaxMs: 5000, requestTimeoutMs: 1000, fetch: edge.fetch, onFetch: (r, reason) => results.push(reason ? `${r}:${reason}` : r), ...extra });
    return { c, store, edge, results };
  }

  it('asks once per node class with its token, and maps classes to the views the edge names', async () => {
    const source = await viewSource(CONFIG, 'grpc|mesh');
    const { c, store, edge, results } = client([json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } })]);
    store.use(grpcClass);
    store.use(grpcClass); // a second proxy of the same class costs nothing more
    await c.pollOnce();
    expect(edge.calls).toHaveLength(1);
    expect(edge.calls[0]!.headers.get('authorization')).toBe('Bearer tkn');
    expect(edge.calls[0]!.body).toEqual({ nodes: [grpcClass.node], have: {} });
    expect(results).toEqual(['changed']);
    expect(store.revision).toBe(3);
    expect(store.snapshotFor(grpcClass.key)?.types.clusters.resources.size).toBe(1);
  });

  it('names its revision and the views it has once every class is mapped, and keeps the snapshot on 304', async () => {
    const source = await viewSource(CONFIG, 'grpc|mesh');
    const { c, store, edge, results } = client([json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } }), () => new Response(null, { status: 304 })]);
    store.use(grpcClass);
    await c.pollOnce();
    const before = store.snapshotFor(grpcClass.key);
    await c.pollOnce();
    expect(edge.calls[1]!.body).toEqual({ revision: 3, nodes: [grpcClass.node], have: { 'grpc|mesh': source.version } });
    expect(results).toEqual(['changed', 'unchanged']);
    expect(store.snapshotFor(grpcClass.key)).toBe(before);
  });

  it.each([
    ['a 503', () => new Response('down', { status: 503 }), 'http_503'],
    ['a body that is not JSON', () => new Response('<html>', { status: 200 }), 'garbage'],
    ['views that do not match the classes', json({ revision: 4, views: [], snapshots: {} }), 'garbage'],
    ['a resource Envoy would not decode', async () => {
      const bad = await viewSource(CONFIG, 'grpc|mesh');
      (bad.types['type.googleapis.com/envoy.config.cluster.v3.Cluster']!.resources[0] as any).connect_timeout = 'soon';
      return json({ revision: 4, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': bad } })();
    }, 'garbage'],
    ['no answer at all', () => Promise.reject(new TypeError('fetch failed')), 'unreachable'],
  ])('keeps serving the last good snapshot after %s', async (_what, bad, reason) => {
    const source = await viewSource(CONFIG, 'grpc|mesh');
    const { c, store, results } = client([json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } }), bad as () => Response]);
    store.use(grpcClass);
    await c.pollOnce();
    const good = store.snapshotFor(grpcClass.key);
    await c.pollOnce();
    expect(results).toEqual(['changed', `error:${reason}`]);
    expect(store.revision).toBe(3);
    expect(store.snapshotFor(grpcClass.key)).toBe(good);
    expect(c.lastError).toBeTruthy();
  });

  it('persists each good answer and serves it after a restart while the edge is down', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-client-'));
    const stateFile = join(dir, 'state.json');
    const source = await viewSource(CONFIG, 'grpc|mesh');
    const first = client([json({ revision: 7, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } })], { stateFile });
    first.store.use(grpcClass);
    await first.c.pollOnce();
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).revision).toBe(7);

    const second = client([() => Promise.reject(new TypeError('fetch failed'))], { stateFile });
    await second.c.start();
    second.c.stop();
    expect(second.store.revision).toBe(7);
    expect(second.store.snapshotFor(grpcClass.key)?.version).toBe(source.version);
  });

  it('ignores a state file that is not one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-client-'));
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{"hello": 1}');
    const logs: string[] = [];
    const { c, store } = client([() => Promise.reject(new TypeError('fetch failed'))], { stateFile, log: (_l, msg) => logs.push(msg) });
    await c.start();
    c.stop();
    expect(store.revision).toBeUndefined();
    expect(logs).toContain('ignoring an unusable state file');
  });
});

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
      const clusters = bad.types['type.googleapis.com/envoy.config.cluster.v3.Cluster']!;
      (clusters.resources[0] as any).connect_timeout = 'soon';
      clusters.version = 'changed'; // the edge's versions follow content: a type at its old version is taken over as encoded
      bad.version = 'changed';
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

  describe('changes since the index it holds (the fake edge above is a double; test/edge/bridge-snapshot-changes runs the real one)', () => {
    const INDEX = `v/${'a'.repeat(32)}`;
    const CLUSTERS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    const CLA = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

    /** The held view as changes: one ClusterLoadAssignment replaced, every other type unchanged. */
    async function changesOf(held: any, since = INDEX) {
      const { [CLA]: eds, ...rest } = held.types;
      const cla = { ...eds.resources[0], endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.9.9.9', port_value: 80 } } } }] }] };
      const changes = Object.fromEntries(Object.entries(rest).map(([url, t]: [string, any]) => [url, { version: t.version, since: t.version, upsert: [], remove: [] }]));
      (changes as any)[CLA] = { version: 'eds-2', since: eds.version, upsert: [cla], remove: [] };
      return { version: 'view-2', index: `v/${'b'.repeat(32)}`, since, types: {}, changes };
    }

    it('names the index in since, applies the changes, and keeps the encodings of the types that did not change', async () => {
      const source = { ...(await viewSource(CONFIG, 'grpc|mesh')), index: INDEX };
      const { c, store, edge, results } = client([json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } }), async () => json({ revision: 4, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': await changesOf(source) } })()]);
      store.use(grpcClass);
      await c.pollOnce();
      const before = store.snapshotFor(grpcClass.key)!;
      await c.pollOnce();
      expect(edge.calls[1]!.body.since).toEqual({ 'grpc|mesh': INDEX });
      expect(results).toEqual(['changed', 'changed']);
      const after = store.snapshotFor(grpcClass.key)!;
      expect(after.source.index).toBe(`v/${'b'.repeat(32)}`);
      expect(after.types.endpoints.edgeVersion).toBe('eds-2');
      expect(after.types.endpoints.resources).not.toBe(before.types.endpoints.resources);
      expect(after.types.clusters).toBe(before.types.clusters);
      expect(after.source.types[CLUSTERS]).toEqual(source.types[CLUSTERS]);
    });

    it('refuses changes from an index it does not hold, keeps serving, and asks for the view whole next', async () => {
      const source = { ...(await viewSource(CONFIG, 'grpc|mesh')), index: INDEX };
      const { c, store, edge, results } = client([
        json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } }),
        async () => json({ revision: 4, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': await changesOf(source, `v/${'c'.repeat(32)}`) } })(),
        json({ revision: 4, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': { ...source, version: 'view-2' } } }),
      ]);
      store.use(grpcClass);
      await c.pollOnce();
      const good = store.snapshotFor(grpcClass.key);
      await c.pollOnce();
      expect(results).toEqual(['changed', 'error:garbage']);
      expect(c.lastError).toContain('but the bridge holds');
      expect(store.snapshotFor(grpcClass.key)).toBe(good);
      await c.pollOnce();
      expect(edge.calls[2]!.body.since).toBeUndefined();
      expect(store.snapshotFor(grpcClass.key)!.version).toBe('view-2');
    });

    it('asks again without since, at once, when an edge from before it refuses the field', async () => {
      const source = { ...(await viewSource(CONFIG, 'grpc|mesh')), index: INDEX };
      const { c, store, edge, results } = client([
        json({ revision: 3, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': source } }),
        json({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'snapshots request: since: Unrecognized key' }, 400),
        json({ revision: 4, views: ['grpc|mesh'], snapshots: { 'grpc|mesh': { ...source, version: 'view-2' } } }),
      ]);
      store.use(grpcClass);
      await c.pollOnce();
      await c.pollOnce();
      expect(results).toEqual(['changed', 'changed']);
      expect(edge.calls[1]!.body.since).toEqual({ 'grpc|mesh': INDEX });
      expect(edge.calls[2]!.body.since).toBeUndefined();
      expect(store.snapshotFor(grpcClass.key)!.version).toBe('view-2');
    });
  });
});

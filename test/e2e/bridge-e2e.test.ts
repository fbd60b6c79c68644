import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { continuousCalls, eventually, sleep, split } from '../support/echo-traffic';
import { GRPC_CLIENTS } from '../support/grpc-clients';
import { startEdge, type RunningEdge } from '../support/start-server';

// The whole path a user has: `npm start` (edge on workerd + D1, the bridge beside it), config through
// the REST API, and both real proxyless gRPC clients (@grpc/grpc-js-xds and C-core) resolving xds:///
// through the bridge, each case once per client.
const HOST = 'echo.e2e.svc.cluster.local';
const TARGET = `${HOST}:7070`;
const root = join(import.meta.dirname, '..', '..');

const manifest = (endpoints: Record<string, number>, weights: Record<string, number>, subsets: string[], ruleExtra = '') =>
  echoMesh({ host: HOST, namespace: 'e2e', endpoints, weights, subsets, ruleExtra });

describe('the bridge end to end, behind npm start', () => {
  let cp: RunningEdge;
  let token: string;
  const backends: Record<string, EchoBackend> = {};
  let ports: Record<string, number>;

  const api = async (method: string, path: string, body?: string, type = 'application/yaml') => {
    const res = await fetch(`${cp.base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': type } : {}) }, body });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${cp.bridge!.opsPort}/metrics`)).text();
    return Number(new RegExp(`^${name.replace(/[{}|]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  beforeAll(async () => {
    for (const v of ['v1', 'v2', 'v3']) backends[v] = await startEcho(v);
    ports = Object.fromEntries(Object.entries(backends).map(([v, b]) => [v, b.port]));
    cp = await startEdge(8791);
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
    await Promise.all(Object.values(backends).map((b) => b.stop()));
  });

  it.each(GRPC_CLIENTS)('$name: splits 80/20 as the VirtualService says, and follows a weight change made through the API', async (kind) => {
    await api('POST', '/api/v1/apply', manifest(ports, { v1: 80, v2: 20 }, ['v1', 'v2', 'v3']));
    const client = await kind.connect(cp.bridge!.adsPort, TARGET, `e2e-split-${kind.id}`);
    try {
      const counts = await split(client.call, 1000);
      console.log('80/20 over 1000 calls:', counts);
      // Binomial sd over 1000 calls at p = 0.2 is 12.6 calls; ±50 is about 4 sd.
      expect(counts.v1).toBeGreaterThanOrEqual(750);
      expect(counts.v1).toBeLessThanOrEqual(850);
      expect((counts.v1 ?? 0) + (counts.v2 ?? 0)).toBe(1000);

      const patch = JSON.stringify([
        { op: 'replace', path: '/spec/http/0/route/0/weight', value: 20 },
        { op: 'replace', path: '/spec/http/0/route/1/weight', value: 80 },
      ]);
      const changedAt = Date.now();
      await api('PATCH', '/api/v1/namespaces/e2e/virtualservices/echo', patch, 'application/json-patch+json');
      const followedAfter = await eventually(async () => {
        const window = await split(client.call, 50);
        return (window.v2 ?? 0) >= 35 ? Date.now() - changedAt : undefined;
      }, 15_000, 0);
      console.log(`the split followed the PATCH within ${followedAfter} ms`);
      const after = await split(client.call, 1000);
      console.log('20/80 over 1000 calls:', after);
      expect(after.v2).toBeGreaterThanOrEqual(750);
      expect(after.v2).toBeLessThanOrEqual(850);
    } finally {
      client.close();
    }
  }, 60_000);

  it.each(GRPC_CLIENTS)('$name: moves the route to a new subset and deletes the old ones with zero failed calls', async (kind) => {
    await api('POST', '/api/v1/apply', manifest(ports, { v1: 50, v2: 50 }, ['v1', 'v2', 'v3']));
    const client = await kind.connect(cp.bridge!.adsPort, TARGET, `e2e-move-${kind.id}`);
    try {
      // Until the bridge has the revision just applied, a new client may get the previous case's config.
      await eventually(async () => ((await split(client.call, 20).catch(() => ({}) as Record<string, number>)).v2 ? true : undefined), 10_000);
      const traffic = continuousCalls(client.call);
      await sleep(500);
      // One revision: the route goes to v3, and subsets v1 and v2 (their clusters) are deleted.
      await api('POST', '/api/v1/apply', manifest(ports, { v3: 100 }, ['v3']));
      await eventually(async () => {
        traffic.resetCounts();
        await sleep(300);
        return traffic.counts.v3 && !traffic.counts.v1 && !traffic.counts.v2 ? true : undefined;
      }, 15_000);
      await sleep(1000);
      await traffic.stop();
      console.log(`make-before-break: ${traffic.total} calls during the change, ${traffic.failures.length} failed`);
      expect(traffic.total).toBeGreaterThan(100);
      expect(traffic.failures).toEqual([]);
    } finally {
      client.close();
    }
  }, 60_000);

  it.each(GRPC_CLIENTS)('$name: shows a NACK on /api/v1/proxies and the revision status, keeps the client on its last good config, and never resends it', async (kind) => {
    const nodeId = `e2e-nack-${kind.id}`;
    await api('POST', '/api/v1/apply', manifest(ports, { v3: 100 }, ['v3']));
    const client = await kind.connect(cp.bridge!.adsPort, TARGET, nodeId);
    try {
      // Until the bridge has the revision just applied, a new client may get the previous case's rejected config.
      await eventually(async () => ((await split(client.call, 5).catch(() => ({}) as Record<string, number>)).v3 === 5 ? true : undefined), 10_000);
      const traffic = continuousCalls(client.call, 2);
      // Proxyless gRPC clients take TLS only from certificate providers in their own bootstrap: a cluster
      // with TLS settings of its own is rejected (the edge warns of it at write time).
      const applied = await api('POST', '/api/v1/apply', manifest(ports, { v3: 100 }, ['v3'], '  trafficPolicy: {tls: {mode: SIMPLE}}'));
      const revision = applied.revision as number;
      const nack = await eventually(async () => {
        const { items } = await api('GET', '/api/v1/proxies');
        const proxy = items.find((p: { nodeId: string }) => p.nodeId === nodeId);
        const sub = proxy?.subscriptions?.['type.googleapis.com/envoy.config.cluster.v3.Cluster'];
        return sub?.nack ? { proxy, sub } : undefined;
      }, 10_000, 250);
      console.log('NACK as /api/v1/proxies shows it:', JSON.stringify(nack.sub));
      expect(nack.proxy.transport).toBe('ads');
      expect(nack.sub.nack.message).toMatch(/tls|certificate_provider|transport_socket/i);

      const status = await api('GET', `/api/v1/revisions/${revision}/status?wait=5`);
      const mine = status.proxies.find((p: { node_id: string }) => p.node_id === nodeId);
      expect(mine.state).toBe('rejected');
      expect(mine.rejections[0].message).toBe(nack.sub.nack.message);

      const nacks = await metric('xdsflare_bridge_nacks_total{type="clusters"}');
      const pushes = await metric('xdsflare_bridge_pushes_total{type="clusters"}');
      await sleep(3000); // three bridge polls of an unchanged edge
      expect(await metric('xdsflare_bridge_pushes_total{type="clusters"}')).toBe(pushes);
      expect(await metric('xdsflare_bridge_nacks_total{type="clusters"}')).toBe(nacks);
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      expect(traffic.counts.v3).toBe(traffic.total);
    } finally {
      client.close();
    }
  }, 60_000);
});

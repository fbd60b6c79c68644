import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import { envoyProtos, publish, startEcho, type EchoBackend } from '../support/bridge-fixtures';
import { GRPC_CLIENTS, itUnless } from '../support/grpc-clients';

// VirtualService http features through the bridge to both real proxyless gRPC clients (grpc-js-xds and
// C-core): header matching, fault injection, retries on another endpoint, route timeouts.
const host = (name: string) => `${name}.test.svc.cluster.local`;

const serviceEntry = (name: string, endpoints: { b: EchoBackend; version: string }[]) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: test}
spec:
  hosts: [${host(name)}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
${endpoints.map((e) => `  - {address: 127.0.0.1, ports: {grpc: ${e.b.port}}, labels: {version: ${e.version}}}`).join('\n')}
---`;

const virtualService = (name: string, http: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: test}
spec:
  hosts: [${host(name)}]
  http:
${http}
---`;

interface Backends { v1: EchoBackend; v2: EchoBackend; healthy: EchoBackend; failing: EchoBackend; slow: EchoBackend }

function config(b: Backends): string {
  const to = (name: string, subset?: string) => `    - destination: {host: ${host(name)}${subset ? `, subset: ${subset}` : ''}}`;
  return [
    serviceEntry('routed', [{ b: b.v1, version: 'v1' }, { b: b.v2, version: 'v2' }]),
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: routed, namespace: test}
spec:
  host: ${host('routed')}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---`,
    virtualService('routed', `  - match: [{headers: {x-canary: {exact: "true"}}}]
    route:
${to('routed', 'v2')}
  - route:
${to('routed', 'v1')}`),
    serviceEntry('faulty', [{ b: b.v1, version: 'v1' }]),
    virtualService('faulty', `  - match: [{headers: {x-fault: {exact: all}}}]
    fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 100}}}
    route:
${to('faulty')}
  - match: [{headers: {x-fault: {exact: half}}}]
    fault: {abort: {grpcStatus: RESOURCE_EXHAUSTED, percentage: {value: 50}}}
    route:
${to('faulty')}
  - match: [{headers: {x-fault: {exact: delay}}}]
    fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}
    route:
${to('faulty')}
  - route:
${to('faulty')}`),
    // One subset (the whole service) with two endpoints, one of which fails every call.
    serviceEntry('pool', [{ b: b.healthy, version: 'v1' }, { b: b.failing, version: 'v1' }]),
    virtualService('pool', `  - retries: {attempts: 3, retryOn: unavailable}
    route:
${to('pool')}`),
    serviceEntry('pool-once', [{ b: b.healthy, version: 'v1' }, { b: b.failing, version: 'v1' }]),
    virtualService('pool-once', `  - retries: {attempts: 0}
    route:
${to('pool-once')}`),
    serviceEntry('slow', [{ b: b.slow, version: 'v1' }]),
    virtualService('slow', `  - timeout: 200ms
    route:
${to('slow')}`),
  ].join('\n');
}

/** The outcome of a call: the backend's name, or the gRPC status code it failed with. */
const outcome = (p: Promise<string>) => p.then((who) => who, (e: grpc.ServiceError) => `code ${e.code}`);

async function tally(call: () => Promise<string>, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const o = await outcome(call());
    counts[o] = (counts[o] ?? 0) + 1;
  }
  return counts;
}

describe.each(GRPC_CLIENTS)('VirtualService http features through the bridge, with the real proxyless $name client', (kind) => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
  let ads: AdsServer;
  let b: Backends;
  const clients: { close(): void }[] = [];
  const client = async (name: string) => {
    const c = await kind.connect(ads.port, `${host(name)}:7070`, `features-${name}`);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const [v1, v2, healthy, failing, slow] = await Promise.all(['v1', 'v2', 'healthy', 'failing', 'slow'].map(startEcho));
    b = { v1: v1!, v2: v2!, healthy: healthy!, failing: failing!, slow: slow! };
    b.failing.behaviour = { failWith: grpc.status.UNAVAILABLE };
    b.slow.behaviour = { delayMs: 1000 };
    await publish(store, encoder, config(b), 1);
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ads?.drain(100);
    await Promise.all(Object.values(b ?? {}).map((e) => e.stop()));
  });

  it('routes calls carrying the matched header to subset v2 and the rest to v1', async () => {
    const c = await client('routed');
    expect(await tally(() => c.call(5000, { 'x-canary': 'true' }), 50)).toEqual({ v2: 50 });
    expect(await tally(() => c.call(5000, { 'x-canary': 'false' }), 50)).toEqual({ v1: 50 });
    expect(await tally(() => c.call(), 50)).toEqual({ v1: 50 });
  });

  it('aborts every call with the configured gRPC status, without reaching the backend, at 100%', async () => {
    const c = await client('faulty');
    await c.call(); // resolved and connected
    const before = b.v1.calls;
    expect(await tally(() => c.call(5000, { 'x-fault': 'all' }), 100)).toEqual({ [`code ${grpc.status.PERMISSION_DENIED}`]: 100 });
    expect(b.v1.calls).toBe(before);
  });

  it('aborts roughly half of the calls at 50%', async () => {
    const c = await client('faulty');
    const counts = await tally(() => c.call(5000, { 'x-fault': 'half' }), 400);
    const aborted = counts[`code ${grpc.status.RESOURCE_EXHAUSTED}`] ?? 0;
    expect(aborted + (counts.v1 ?? 0)).toBe(400);
    expect(aborted).toBeGreaterThan(400 * 0.4);
    expect(aborted).toBeLessThan(400 * 0.6);
  });

  it('delays calls by the fixed delay', async () => {
    const c = await client('faulty');
    await c.call();
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      expect(await c.call(5000, { 'x-fault': 'delay' })).toBe('v1');
      expect(performance.now() - start).toBeGreaterThanOrEqual(295);
    }
    const start = performance.now();
    await c.call();
    expect(performance.now() - start).toBeLessThan(250);
  });

  it('retries an UNAVAILABLE call on the other endpoint, so every call succeeds; without retries some fail', async () => {
    const withRetries = await client('pool');
    const failingBefore = b.failing.calls;
    expect(await tally(() => withRetries.call(), 200)).toEqual({ healthy: 200 });
    expect(b.failing.calls - failingBefore).toBeGreaterThan(20); // the failing endpoint was tried, and retried away from
    const once = await client('pool-once');
    const counts = await tally(() => once.call(), 200);
    expect(counts[`code ${grpc.status.UNAVAILABLE}`] ?? 0).toBeGreaterThan(20);
    expect(counts.healthy ?? 0).toBeGreaterThan(20);
  });

  itUnless(it, kind, 'route-timeout-fires-early')('ends a call to a slow backend with DEADLINE_EXCEEDED near the route timeout', async () => {
    const c = await client('slow');
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const result = await outcome(c.call(5000));
      const elapsed = performance.now() - start;
      expect(result).toBe(`code ${grpc.status.DEADLINE_EXCEEDED}`);
      // The first call also resolves the target through the bridge.
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(i === 0 ? 1000 : 600);
    }
  });
});

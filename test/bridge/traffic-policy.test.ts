import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import { envoyProtos, publish, startEcho, type EchoBackend } from '../support/bridge-fixtures';
import { GRPC_CLIENTS, itUnless } from '../support/grpc-clients';
import { settle } from '../support/echo-traffic';

// DestinationRule traffic policies as both real proxyless gRPC clients (grpc-js-xds, C-core) apply them,
// served by the bridge's ADS server in process.
const HASHED = 'carts.test.svc.cluster.local';
const FLAKY = 'payments.test.svc.cluster.local';

const endpoints = (backends: EchoBackend[]) => backends.map((b) => `  - {address: 127.0.0.1, ports: {grpc: ${b.port}}}`).join('\n');

const config = (hashed: EchoBackend[], flaky: EchoBackend[]) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: carts, namespace: test}
spec:
  hosts: [${HASHED}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
${endpoints(hashed)}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: carts, namespace: test}
spec:
  host: ${HASHED}
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: test}
spec:
  hosts: [${FLAKY}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
${endpoints(flaky)}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments, namespace: test}
spec:
  host: ${FLAKY}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}
---
# No retries, so every call that reaches the failing endpoint shows.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: test}
spec:
  hosts: [${FLAKY}]
  http:
  - route:
    - destination: {host: ${FLAKY}}
    retries: {attempts: 0}
`;

describe.each(GRPC_CLIENTS)('DestinationRule traffic policies through the bridge, with the proxyless $name client', (kind) => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
  let ads: AdsServer;
  let hashed: EchoBackend[];
  let flaky: EchoBackend[];

  beforeAll(async () => {
    hashed = await Promise.all(['h1', 'h2', 'h3', 'h4'].map(startEcho));
    flaky = await Promise.all(['healthy', 'failing'].map(startEcho));
    flaky[1]!.behaviour.failWith = status.UNAVAILABLE;
    await publish(store, encoder, config(hashed, flaky), 1);
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    await ads?.drain(100);
    await Promise.all([...(hashed ?? []), ...(flaky ?? [])].map((b) => b.stop()));
  });

  itUnless(it, kind, 'ring-hash-crash')('keeps each x-user on one endpoint (RING_HASH with a header hash policy) and spreads users over several', async () => {
    const client = await kind.connect(ads.port, `${HASHED}:7070`, 'hash-client');
    try {
      const landings = async (user: string, n: number) => {
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) seen.add(await client.call(5000, { 'x-user': user }));
        return [...seen];
      };
      const alice = await landings('alice', 25);
      const bob = await landings('bob', 25);
      expect(alice).toHaveLength(1);
      expect(bob).toHaveLength(1);
      const byUser = new Map<string, string>();
      for (let u = 0; u < 40; u++) {
        const seen = await landings(`user-${u}`, 3);
        expect(seen).toHaveLength(1);
        byUser.set(`user-${u}`, seen[0]!);
      }
      expect(new Set(byUser.values()).size).toBeGreaterThan(1);
      // Still the same endpoint after everyone else's calls.
      expect(await landings('alice', 5)).toEqual(alice);
    } finally {
      client.close();
    }
  });

  it('ejects an endpoint that fails with UNAVAILABLE, then sends every call to the healthy one', async () => {
    const [healthy, failing] = flaky as [EchoBackend, EchoBackend];
    const client = await kind.connect(ads.port, `${FLAKY}:7070`, 'outlier-client');
    try {
      // Before ejection, round robin sends about half the calls to the failing endpoint. gRPC counts
      // failures per interval (1s) and ejects at the interval tick: call for a few intervals.
      const before: { who?: string; code?: number }[] = [];
      const start = Date.now();
      while (Date.now() - start < 2500 && failing.calls < 20) before.push(await settle(client.call(2000)));
      const failed = before.filter((r) => r.code === status.UNAVAILABLE).length;
      expect(failed).toBeGreaterThan(0);
      // Wait for the next tick after the failing endpoint reached the request volume.
      await new Promise((r) => setTimeout(r, 1200));
      const failingCallsAtEjection = failing.calls;
      const after = await Promise.all(Array.from({ length: 100 }, () => settle(client.call(2000))));
      expect(after.filter((r) => r.who === 'healthy')).toHaveLength(100);
      expect(failing.calls).toBe(failingCallsAtEjection);
      console.log(`outlier: ${failed}/${before.length} calls failed before ejection; 100/100 answered by healthy after (${healthy.calls} healthy calls in all)`);
    } finally {
      client.close();
    }
  });
});

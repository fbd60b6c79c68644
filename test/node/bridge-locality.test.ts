import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { nodeClassOf, SnapshotStore } from '../../gateway/snapshot/store';
import type { ViewSnapshot } from '../../gateway/snapshot/types';
import { envoyProtos, startEcho, viewSource, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';

// localityLbSetting failover as the real proxyless gRPC client applies it: priorities relative to the
// client's own locality (its bootstrap node.locality), served by the bridge's ADS server in process.
const HOST = 'echo.geo.svc.cluster.local';

const config = (a: EchoBackend, b: EchoBackend) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: geo}
spec:
  hosts: [${HOST}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
  - {address: 127.0.0.1, ports: {grpc: ${a.port}}, locality: r1/z1}
  - {address: 127.0.0.1, ports: {grpc: ${b.port}}, locality: r2/z1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: geo}
spec:
  host: ${HOST}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}
    loadBalancer:
      localityLbSetting:
        failover: [{from: r1, to: r2}]
---
# No retries, so every call that reaches the failing endpoint shows.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: geo}
spec:
  hosts: [${HOST}]
  http:
  - route:
    - destination: {host: ${HOST}}
    retries: {attempts: 0}
`;

const settle = (call: Promise<string>): Promise<{ who?: string; code?: number }> => call.then((who) => ({ who }), (err: { code?: number }) => ({ code: err.code }));

describe('locality failover through the bridge, with the proxyless gRPC client', () => {
  const store = new SnapshotStore();
  const encoder = new SnapshotEncoder(envoyProtos());
  let ads: AdsServer;
  let a: EchoBackend;
  let b: EchoBackend;

  beforeAll(async () => {
    [a, b] = await Promise.all(['in-r1', 'in-r2'].map(startEcho)) as [EchoBackend, EchoBackend];
    // As the edge would map them: each locality's class to its own view.
    const yaml = config(a, b);
    const classes = [
      { nodeClass: nodeClassOf({ id: '', userAgentName: 'gRPC', labels: {}, locality: { region: 'r1', zone: 'z1' } }), view: 'grpc|mesh|loc:r1/z1' },
      { nodeClass: nodeClassOf({ id: '', userAgentName: 'gRPC', labels: {}, locality: { region: 'r2', zone: 'z1' } }), view: 'grpc|mesh|loc:r2/z1' },
    ];
    store.restoreClasses(classes);
    const snapshots = new Map<string, ViewSnapshot>();
    for (const { view } of classes) snapshots.set(view, encoder.encodeView(view, await viewSource(yaml, view), 1, Date.now()));
    store.apply({ revision: 1, classViews: new Map(classes.map((c) => [c.nodeClass.key, c.view])), snapshots });
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    await ads?.drain(100);
    await Promise.all([a, b].map((e) => e?.stop()));
  });

  it('sends a client only to its own locality until that endpoint is ejected, then fails over', async () => {
    const r1 = await xdsEchoClient(ads.port, `${HOST}:7070`, 'client-r1', {}, { region: 'r1', zone: 'z1' });
    const r2 = await xdsEchoClient(ads.port, `${HOST}:7070`, 'client-r2', {}, { region: 'r2', zone: 'z1' });
    try {
      const first = await Promise.all(Array.from({ length: 10 }, () => r1.call()));
      expect(new Set(first)).toEqual(new Set(['in-r1']));
      const other = await Promise.all(Array.from({ length: 10 }, () => r2.call()));
      expect(new Set(other)).toEqual(new Set(['in-r2']));

      a.behaviour.failWith = status.UNAVAILABLE;
      // Failures until outlier detection (1 s interval) ejects in-r1 and priority 1 (r2) takes over.
      const deadline = Date.now() + 15_000;
      let failures = 0;
      let last: { who?: string; code?: number } = {};
      while (Date.now() < deadline) {
        last = await settle(r1.call());
        if (last.who === 'in-r2') break;
        failures++;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(last.who).toBe('in-r2');
      expect(failures).toBeGreaterThan(0);
      const after = await Promise.all(Array.from({ length: 10 }, () => r1.call()));
      expect(new Set(after)).toEqual(new Set(['in-r2']));
    } finally {
      r1.close();
      r2.close();
    }
  });
});

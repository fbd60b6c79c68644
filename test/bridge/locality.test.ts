import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import type { ViewSnapshot } from '../../gateway/snapshot/types';
import { nodeClassOf, selectView, translateIntents, viewKey, viewLabelKeys, type NodeInfo } from '../../xds';
import { envoyProtos, intentsOf, startEcho, viewSource, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';
import { callsUntilLanding } from '../support/echo-traffic';

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

describe('locality failover through the bridge, with the proxyless gRPC client', () => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
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
      expect(await callsUntilLanding(() => r1.call(), 'in-r2')).toBeGreaterThan(0);
      const after = await Promise.all(Array.from({ length: 10 }, () => r1.call()));
      expect(new Set(after)).toEqual(new Set(['in-r2']));
    } finally {
      r1.close();
      r2.close();
    }
  });
});

// localityLbSetting.failoverPriority: priorities by the labels a client shares with each endpoint
// (its bootstrap node.metadata.labels), with the edge's view selection and label keys: the client's
// other labels (its pod name) do not split its class.
const TIERED = 'echo.tiers.svc.cluster.local';

const tieredConfig = (a: EchoBackend, b: EchoBackend) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: tiers}
spec:
  hosts: [${TIERED}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
  - {address: 127.0.0.1, ports: {grpc: ${a.port}}, labels: {tier: a, pod: echo-0}}
  - {address: 127.0.0.1, ports: {grpc: ${b.port}}, labels: {tier: b, pod: echo-1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: tiers}
spec:
  host: ${TIERED}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}
    loadBalancer:
      localityLbSetting:
        failoverPriority: [tier]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: tiers}
spec:
  hosts: [${TIERED}]
  http:
  - route:
    - destination: {host: ${TIERED}}
    retries: {attempts: 0}
`;

describe('failoverPriority through the bridge, with the proxyless gRPC client', () => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
  let ads: AdsServer;
  let a: EchoBackend;
  let b: EchoBackend;
  const views: string[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all(['tier-a', 'tier-b'].map(startEcho)) as [EchoBackend, EchoBackend];
    const yaml = tieredConfig(a, b);
    // As the edge would answer: the label keys views depend on, and each class's view.
    const { ir } = translateIntents(intentsOf(yaml));
    const labelKeys = viewLabelKeys(ir);
    const nodes: NodeInfo[] = [{ id: '', userAgentName: 'gRPC', labels: { tier: 'a', pod: 'client-a-0' } }, { id: '', userAgentName: 'gRPC', labels: { tier: 'b', pod: 'client-b-0' } }];
    const classes = nodes.map((node) => ({ nodeClass: nodeClassOf(node, labelKeys), view: viewKey(selectView(ir, node)) }));
    views.push(...classes.map((c) => c.view));
    store.restoreClasses(classes);
    const snapshots = new Map<string, ViewSnapshot>();
    for (const { view } of classes) snapshots.set(view, encoder.encodeView(view, await viewSource(yaml, view), 1, Date.now()));
    store.apply({ revision: 1, classViews: new Map(classes.map((c) => [c.nodeClass.key, c.view])), snapshots, labelKeys });
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    await ads?.drain(100);
    await Promise.all([a, b].map((e) => e?.stop()));
  });

  it('sends a client to the endpoint sharing its tier until that one is ejected, then to the other', async () => {
    expect(views).toEqual(['grpc|mesh|lbl:tier=a', 'grpc|mesh|lbl:tier=b']);
    expect(store.labelKeys).toEqual(['tier']);
    // Pod names differ from the classes restored above: only tier decides the class.
    const ca = await xdsEchoClient(ads.port, `${TIERED}:7070`, 'client-a', { tier: 'a', pod: 'client-a-7' });
    const cb = await xdsEchoClient(ads.port, `${TIERED}:7070`, 'client-b', { tier: 'b', pod: 'client-b-3' });
    try {
      expect(new Set(await Promise.all(Array.from({ length: 10 }, () => ca.call())))).toEqual(new Set(['tier-a']));
      expect(new Set(await Promise.all(Array.from({ length: 10 }, () => cb.call())))).toEqual(new Set(['tier-b']));

      a.behaviour.failWith = status.UNAVAILABLE;
      // Failures until outlier detection (1 s interval) ejects tier-a and priority 1 (tier b) takes over.
      expect(await callsUntilLanding(() => ca.call(), 'tier-b')).toBeGreaterThan(0);
      expect(new Set(await Promise.all(Array.from({ length: 10 }, () => ca.call())))).toEqual(new Set(['tier-b']));
    } finally {
      ca.close();
      cb.close();
    }
  });
});

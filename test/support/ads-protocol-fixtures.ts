import { expect } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import type { StreamObserver } from '../../gateway/ads/stream-types';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import { DELIVERY_ORDER, nodeClassOf, type ResourceType } from '../../xds';
import { clustersOfRoutes, type AdsTestClient, type AdsTestClientOptions, type TimelineEntry } from './ads-test-client';
import { envoyProtos, publish } from './bridge-fixtures';

/** A static service of the test mesh: one port, one endpoint, optionally a load-balancer policy (a DestinationRule). */
export interface Svc {
  name: string;
  port?: number;
  lb?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';
  address?: string;
}

const host = (name: string) => `${name}.t.svc.cluster.local`;

/** The cluster (and EDS service) name the translator gives a service's port. */
export const cl = (name: string, port = 80) => `outbound|${port}||${host(name)}`;

/** A mesh of static services; `routes` sends a path prefix of one service's host to another service. */
export function mesh(services: Svc[], routes: { from: string; prefix: string; to: string }[] = []): string {
  const docs = services.map(
    (s, i) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${s.name}, namespace: t}
spec:
  hosts: [${host(s.name)}]
  resolution: STATIC
  ports: [{number: ${s.port ?? 80}, name: http, protocol: HTTP}]
  endpoints: [{address: ${s.address ?? `10.0.0.${i + 1}`}}]
`,
  );
  for (const s of services.filter((x) => x.lb))
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${s.name}, namespace: t}
spec:
  host: ${host(s.name)}
  trafficPolicy: {loadBalancer: {simple: ${s.lb}}}
`);
  for (const from of new Set(routes.map((r) => r.from)))
    docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${from}, namespace: t}
spec:
  hosts: [${host(from)}]
  http:
${routes
  .filter((r) => r.from === from)
  .map((r) => `  - match: [{uri: {prefix: ${r.prefix}}}]\n    route: [{destination: {host: ${host(r.to)}}}]`)
  .join('\n')}
  - route: [{destination: {host: ${host(from)}}}]
`);
  return docs.join('---\n');
}

export const sorted = (names: Iterable<string>) => [...names].sort();

const ENVOY_CLASS = nodeClassOf({ id: '', userAgentName: 'envoy', labels: {} }).key;

export interface TestBridgeOptions {
  edsSubscribeWaitMs?: number;
  ackTimeoutMs?: number;
  /** Sees what the status reporter would (ACKs, NACKs, pushes). */
  observer?: StreamObserver;
}

/** A fresh store and ADS server on a free loopback port; publish() puts a mesh config in as if the edge had answered. */
export async function startTestBridge(options: TestBridgeOptions = {}) {
  const store = new SnapshotStore();
  const encoder = new SnapshotEncoder(envoyProtos());
  const ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge', edsSubscribeWaitMs: 50, ...options });
  return {
    store,
    ads,
    publish: (yaml: string, revision: number) => publish(store, encoder, yaml, revision),
    /** What the bridge targets for an Envoy with no labels. */
    target: () => store.snapshotFor(ENVOY_CLASS)!,
  };
}

/** The types of the pushes never go backwards in CDS → EDS → LDS → RDS. */
export const inDeliveryOrder = (entries: TimelineEntry[]) => entries.every((e, i) => i === 0 || DELIVERY_ORDER.indexOf(e.type) >= DELIVERY_ORDER.indexOf(entries[i - 1]!.type));

/** Consecutive pushes of one type collapsed: the order types went out in. */
export const typeOrder = (entries: TimelineEntry[]) => entries.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);

/** An invariant: the routes a client holds name only clusters it holds (Envoy would answer 503 otherwise). */
export function routesUseHeldClusters(c: AdsTestClient): string | undefined {
  const clusters = new Set(c.heldNames('clusters'));
  const missing = [...c.held('routes').values()].flatMap(clustersOfRoutes).filter((n) => !clusters.has(n));
  return missing.length ? `held routes name ${[...new Set(missing)].join(', ')}, absent from the held CDS` : undefined;
}

type TestBridge = Awaited<ReturnType<typeof startTestBridge>>;

/**
 * Clients and bridges a test file opens, so afterEach can close them all and check every client's
 * strict-decoding record. `synced(bridge, types)` says when a client holds the bridge's target.
 */
export function openTracker<C extends AdsTestClient>(Client: new (options: AdsTestClientOptions) => C, synced: (b: TestBridge, types?: readonly ResourceType[]) => (c: C) => boolean) {
  const clients: C[] = [];
  const servers: AdsServer[] = [];
  return {
    client(port: number, options: Omit<AdsTestClientOptions, 'port'> = {}): C {
      const c = new Client({ port, ...options });
      clients.push(c);
      return c;
    },
    async withBridge(options?: TestBridgeOptions) {
      const b = await startTestBridge(options);
      servers.push(b.ads);
      return { ...b, synced: (types?: readonly ResourceType[]) => synced(b, types) };
    },
    /** Closes everything opened since the last call; returns the clients, for their violations. */
    async closeAll(): Promise<C[]> {
      const closed = clients.splice(0);
      for (const c of closed) c.close();
      await Promise.all(servers.splice(0).map((s) => s.drain(100)));
      return closed;
    },
  };
}

/**
 * A NACKed change rolled back to the content the client kept: the version is the one it ACKed, so there
 * is nothing to send, and the status must say so (the NACK cleared), not report the NACK until the next change.
 */
export async function nackUndone<C extends AdsTestClient>(t: Pick<ReturnType<typeof openTracker<C>>, 'client' | 'withBridge'>): Promise<void> {
  const nacks = new Map<string, unknown>();
  const b = await t.withBridge({ observer: { onStatus: (_node, _view, type, status) => void nacks.set(type, status.nack) } });
  const good = mesh([{ name: 'a' }, { name: 'b' }]);
  await b.publish(good, 1);
  const c = t.client(b.ads.port, { rejectIf: (type, resources) => (type === 'clusters' && resources.has(cl('x')) ? 'cluster x: rejected by the test' : undefined) });
  await c.waitFor(b.synced(), 5000, 'the first config');
  await b.publish(mesh([{ name: 'a' }, { name: 'b' }, { name: 'x' }]), 2);
  await c.waitFor((x) => x.timeline.some((e) => e.verdict === 'nack'), 5000, 'the NACK');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(nacks.get('clusters')).toMatchObject({ message: 'cluster x: rejected by the test' });

  const mark = c.timeline.length;
  await b.publish(good, 3);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(b.synced()(c)).toBe(true);
  expect(c.since(mark)).toEqual([]);
  expect(nacks.get('clusters')).toBeNull();
}

/**
 * A client that adds a name to its subscription (as gRPC does when a route names a new cluster) is
 * answered at the version it ACKed; when it NACKs what the new name brings, that NACK must stay
 * reported although the version it kept is the one the bridge wants (the rollout's rejection signal).
 */
export async function nackOfAddedNameStays<C extends AdsTestClient>(t: Pick<ReturnType<typeof openTracker<C>>, 'client' | 'withBridge'>): Promise<void> {
  const nacks = new Map<string, unknown>();
  const b = await t.withBridge({ observer: { onStatus: (_node, _view, type, status) => void nacks.set(type, status.nack) } });
  await b.publish(mesh([{ name: 'a' }, { name: 'x' }]), 1);
  const c = t.client(b.ads.port, { types: ['clusters'], names: { clusters: [cl('a')] }, rejectIf: (type, resources) => (type === 'clusters' && resources.has(cl('x')) ? 'cluster x: rejected by the test' : undefined) });
  await c.waitFor((x) => x.timeline.some((e) => e.type === 'clusters' && e.verdict === 'ack'), 5000, 'cluster a ACKed');
  c.subscribe('clusters', [cl('a'), cl('x')]);
  await c.waitFor((x) => x.timeline.some((e) => e.verdict === 'nack'), 5000, 'the NACK of cluster x');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(nacks.get('clusters')).toMatchObject({ message: 'cluster x: rejected by the test' });
}

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { nodeClassOf, SnapshotStore } from '../../gateway/snapshot/store';
import { DELIVERY_ORDER, type ResourceType } from '../../xds';
import { clustersOfRoutes, SotwAdsClient, type AdsTestClientOptions, type TimelineEntry } from '../support/ads-test-client';
import { envoyProtos, publish } from '../support/bridge-fixtures';

interface Svc {
  name: string;
  port?: number;
  lb?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';
  address?: string;
}

const host = (name: string) => `${name}.t.svc.cluster.local`;
/** The cluster (and EDS service) name the translator gives a service's port. */
const cl = (name: string, port = 80) => `outbound|${port}||${host(name)}`;

/** A mesh of static services; `routes` sends a path prefix of one service's host to another service. */
function mesh(services: Svc[], routes: { from: string; prefix: string; to: string }[] = []): string {
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

const ENVOY_CLASS = nodeClassOf({ id: '', userAgentName: 'envoy', labels: {} }).key;
const sorted = (names: Iterable<string>) => [...names].sort();

/** One bridge per test: a fresh store and ADS server on a free port. */
async function bridge(options: { edsSubscribeWaitMs?: number; ackTimeoutMs?: number } = {}) {
  const store = new SnapshotStore();
  const encoder = new SnapshotEncoder(envoyProtos());
  const ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge', edsSubscribeWaitMs: 50, ...options });
  const target = () => store.snapshotFor(ENVOY_CLASS)!;
  return {
    store,
    ads,
    publish: (yaml: string, revision: number) => publish(store, encoder, yaml, revision),
    target,
    /** The client holds what the bridge targets, at the target's version, for every type it subscribes to. */
    synced: (types: readonly ResourceType[] = DELIVERY_ORDER) => (c: SotwAdsClient) =>
      types.every((t) => c.accepted.get(t) === target().types[t].version && sorted(c.heldNames(t)).join() === sorted(target().types[t].resources.keys()).join()),
  };
}

const open: { clients: SotwAdsClient[]; servers: AdsServer[] } = { clients: [], servers: [] };
function client(port: number, options: Omit<AdsTestClientOptions, 'port'> = {}): SotwAdsClient {
  const c = new SotwAdsClient({ port, ...options });
  open.clients.push(c);
  return c;
}
async function withBridge(options?: Parameters<typeof bridge>[0]) {
  const b = await bridge(options);
  open.servers.push(b.ads);
  return b;
}

afterEach(async () => {
  const clients = open.clients.splice(0);
  for (const c of clients) c.close();
  await Promise.all(open.servers.splice(0).map((s) => s.drain(100)));
  // Every response every client got decoded strictly, matched its type and had no repeated names.
  for (const c of clients) expect(c.violations).toEqual([]);
});

/** No response is due to a subscription change that only drops names: give the bridge time to read it. */
const requestRead = () => new Promise((resolve) => setTimeout(resolve, 100));

/** Types of the pushes never go backwards in CDS → EDS → LDS → RDS. */
const inDeliveryOrder = (entries: TimelineEntry[]) => entries.every((e, i) => i === 0 || DELIVERY_ORDER.indexOf(e.type) >= DELIVERY_ORDER.indexOf(entries[i - 1]!.type));

/** Consecutive pushes of one type collapsed: the order types went out in. */
const typeOrder = (entries: TimelineEntry[]) => entries.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);

/** Routes a client holds only name clusters it holds (Envoy would 503 otherwise). */
function routesUseHeldClusters(c: SotwAdsClient): string | undefined {
  const clusters = new Set(c.heldNames('clusters'));
  const missing = [...c.heldOf('routes').values()].flatMap(clustersOfRoutes).filter((n) => !clusters.has(n));
  return missing.length ? `held routes name ${[...new Set(missing)].join(', ')}, absent from the held CDS` : undefined;
}

describe('state-of-the-world ADS: make-before-break ordering', () => {
  it('adds a cluster and moves routes as CDS (old and new) → EDS → LDS → RDS, and removes the dropped cluster last', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a' }, { name: 'b' }], [{ from: 'a', prefix: '/b', to: 'b' }]), 1);
    const c = client(b.ads.port);
    c.invariant('routes only name held clusters', routesUseHeldClusters);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const edsBefore = c.accepted.get('endpoints');
    const mark = c.timeline.length;

    // C is new (on its own port: a new listener and route config), B is gone, A's definition changed.
    await b.publish(mesh([{ name: 'a', lb: 'LEAST_REQUEST' }, { name: 'c', port: 8080 }], [{ from: 'a', prefix: '/c', to: 'c' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the second config');
    await c.quiet();
    const pushes = c.since(mark);

    expect(pushes.every((e) => e.verdict === 'ack'), c.describe(pushes)).toBe(true);
    expect(pushes[0]!.type).toBe('clusters');
    expect(sorted(pushes[0]!.names)).toEqual(sorted([cl('a'), cl('b'), cl('c', 8080)]));
    const removal = pushes.findIndex((e) => e.type === 'clusters' && !e.names.includes(cl('b')));
    expect(removal, c.describe(pushes)).toBeGreaterThan(0);
    const before = pushes.slice(0, removal);
    expect(typeOrder(before), c.describe(pushes)).toEqual(['clusters', 'endpoints', 'listeners', 'routes']);
    // C's assignment, and a fresh one for A whose cluster changed, at a new EDS version.
    const eds = before.filter((e) => e.type === 'endpoints');
    expect(eds.flatMap((e) => e.names)).toEqual(expect.arrayContaining([cl('a'), cl('c', 8080)]));
    expect(eds.every((e) => e.version !== edsBefore)).toBe(true);
    // Every new route config goes out before the removal.
    expect(sorted(new Set(before.filter((e) => e.type === 'routes').flatMap((e) => e.names))), c.describe(pushes)).toEqual(['80', '8080']);
    // After the removal only endpoint clean-up may follow: no listener or route change is left for later.
    expect(pushes.slice(removal + 1).every((e) => e.type === 'endpoints' && !e.names.includes(cl('b'))), c.describe(pushes)).toBe(true);
    expect(c.heldNames('clusters')).toEqual(sorted([cl('a'), cl('c', 8080)]));
  });

  it('resends the ClusterLoadAssignment of a cluster whose definition changed though its endpoints did not (envoy#13009)', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a', lb: 'ROUND_ROBIN' }, { name: 'b' }]), 1);
    const c = client(b.ads.port);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const claBefore = c.heldOf('endpoints').get(cl('a'));
    const edsVersion = c.accepted.get('endpoints');
    const mark = c.timeline.length;
    const requestMark = c.requests.length;

    await b.publish(mesh([{ name: 'a', lb: 'LEAST_REQUEST' }, { name: 'b' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the traffic policy change');
    await c.quiet();
    const pushes = c.since(mark);

    expect(pushes.map((e) => e.type), c.describe(pushes)).toEqual(['clusters', 'endpoints']);
    expect(pushes[0]!.names).toContain(cl('a'));
    expect(c.heldOf('clusters').get(cl('a'))!.lb_policy).toBe('LEAST_REQUEST');
    expect(pushes[1]!.names).toContain(cl('a'));
    expect(pushes[1]!.version).not.toBe(edsVersion);
    expect(c.heldOf('endpoints').get(cl('a'))).toEqual(claBefore);
    // Unprompted: the client's EDS subscription did not change, so it never asked.
    expect(c.requests.slice(requestMark).filter((r) => r.type_url.endsWith('ClusterLoadAssignment') && !r.response_nonce)).toEqual([]);
    expect(new Set(c.requests.slice(requestMark).filter((r) => r.type_url.endsWith('ClusterLoadAssignment')).map((r) => r.resource_names.join()))).toEqual(new Set([sorted([cl('a'), cl('b')]).join()]));
  });
});

describe('state-of-the-world ADS: NACKs', () => {
  it('sends a rejected CDS version once, holds back every later type of that change, and delivers the next good config', async () => {
    const b = await withBridge();
    const base = [{ name: 'a' }, { name: 'b' }];
    await b.publish(mesh(base, [{ from: 'a', prefix: '/b', to: 'b' }]), 1);
    const c = client(b.ads.port, { rejectIf: (type, resources) => (type === 'clusters' && resources.has(cl('x')) ? 'cluster x: rejected by the test' : undefined) });
    c.invariant('routes only name held clusters', routesUseHeldClusters);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const held = { clusters: c.heldNames('clusters'), version: c.accepted.get('clusters') };
    const mark = c.timeline.length;

    await b.publish(mesh([...base, { name: 'x' }], [{ from: 'a', prefix: '/x', to: 'x' }, { from: 'a', prefix: '/b', to: 'b' }]), 2);
    await c.waitFor((x) => x.since(mark).some((e) => e.verdict === 'nack'), 5000, 'the NACK');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(c.since(mark).map((e) => `${e.type}:${e.verdict}`), c.describe(c.since(mark))).toEqual(['clusters:nack']);
    expect(c.heldNames('clusters')).toEqual(held.clusters);
    expect(c.accepted.get('clusters')).toBe(held.version);

    await b.publish(mesh([...base, { name: 'd' }], [{ from: 'a', prefix: '/d', to: 'd' }, { from: 'a', prefix: '/b', to: 'b' }]), 3);
    await c.waitFor(b.synced(), 5000, 'the good config after the NACK');
    await c.quiet();
    const after = c.since(mark);
    expect(after.filter((e) => e.names.includes(cl('x')))).toHaveLength(1);
    expect(after.slice(1).every((e) => e.verdict === 'ack'), c.describe(after)).toBe(true);
    // The listener did not change: CDS → EDS → RDS.
    expect(inDeliveryOrder(after.slice(1)), c.describe(after)).toBe(true);
    expect(typeOrder(after.slice(1))).toEqual(['clusters', 'endpoints', 'routes']);
    expect(c.heldOf('routes').get('80')).toSatisfy((r: object) => clustersOfRoutes(r).includes(cl('d')) && !clustersOfRoutes(r).includes(cl('x')));
  });
});

describe('state-of-the-world ADS: nonces', () => {
  it('honours a stale-nonce request that changes the EDS subscription, and takes one without changes for nothing', async () => {
    const b = await withBridge({ edsSubscribeWaitMs: 100 });
    let holdEds = false;
    const services = (aAddress: string, extra: Svc[] = []) => mesh([{ name: 'a', address: aAddress }, { name: 'b' }, ...extra]);
    await b.publish(services('10.0.1.1'), 1);
    // Subscribes EDS by hand (to A only), so the test decides every EDS request.
    const c = client(b.ads.port, { types: ['clusters', 'endpoints', 'listeners'], follow: false, names: { endpoints: [cl('a')] }, holdIf: (e) => holdEds && e.type === 'endpoints' });
    await c.waitFor((x) => x.heldNames('endpoints').length === 1 && x.accepted.get('listeners') === b.target().types.listeners.version, 5000, 'EDS for A and LDS');
    const staleNonce = c.nonces.get('endpoints')!;
    await b.publish(services('10.0.1.2'), 2);
    await c.waitFor((x) => x.heldOf('endpoints').get(cl('a'))?.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address === '10.0.1.2', 5000, 'the endpoint change');
    expect(c.nonces.get('endpoints')).not.toBe(staleNonce);

    let mark = c.timeline.length;
    c.subscribe('endpoints', [cl('a'), cl('b')], { nonce: staleNonce });
    await c.waitFor((x) => x.heldOf('endpoints').has(cl('b')), 5000, 'B after a stale-nonce subscribe');
    expect(c.since(mark).map((e) => e.type)).toEqual(['endpoints']);

    // A change whose EDS response the client leaves unanswered: a new port means LDS follows once EDS is ACKed.
    holdEds = true;
    mark = c.timeline.length;
    const lastNonce = c.nonces.get('endpoints')!;
    await b.publish(services('10.0.1.3', [{ name: 'd', port: 9090 }]), 3);
    await c.waitFor((x) => x.since(mark).some((e) => e.type === 'endpoints' && e.verdict === 'held'), 5000, 'the held EDS response');
    const heldEds = c.since(mark, 'endpoints')[0]!;
    // Looks like an ACK of the held version, but carries the nonce before it: acknowledges nothing.
    c.send('endpoints', { versionInfo: heldEds.version, responseNonce: lastNonce, resourceNames: [cl('a'), cl('b')] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(c.since(mark).map((e) => `${e.type}:${e.verdict}`), c.describe(c.since(mark))).toEqual(['clusters:ack', 'endpoints:held']);

    holdEds = false;
    c.ack(heldEds);
    await c.waitFor((x) => x.accepted.get('listeners') === b.target().types.listeners.version, 5000, 'LDS after the real ACK');
    expect(c.since(mark).map((e) => e.type)).toEqual(['clusters', 'endpoints', 'listeners']);
  });
});

describe('state-of-the-world ADS: wildcard rules for CDS (xds-protocol.md §2.4)', () => {
  const all = [cl('a'), cl('b')];
  const two = mesh([{ name: 'a' }, { name: 'b' }]);
  const changed = mesh([{ name: 'a', lb: 'RANDOM' }, { name: 'b', lb: 'RANDOM' }, { name: 'c' }]);

  it('answers an empty first request (legacy wildcard) with every cluster', async () => {
    const b = await withBridge();
    await b.publish(two, 1);
    const c = client(b.ads.port, { types: ['clusters'] });
    await c.waitFor((x) => x.timeline.length === 1);
    expect(sorted(c.timeline[0]!.names)).toEqual(all);
  });

  it('takes an empty list after explicit names as no clusters, not the wildcard', async () => {
    const b = await withBridge();
    await b.publish(two, 1);
    const c = client(b.ads.port, { types: ['clusters'], names: { clusters: [cl('a')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    expect(c.timeline[0]!.names).toEqual([cl('a')]);
    c.subscribe('clusters', []);
    await requestRead();
    await b.publish(changed, 2);
    await c.quiet(200);
    expect(c.since(1).flatMap((e) => e.names), c.describe()).toEqual([]);
    // The stream still serves explicit names.
    c.subscribe('clusters', [cl('c')]);
    await c.waitFor((x) => x.timeline.at(-1)!.names.includes(cl('c')), 5000, 'C');
    expect(c.timeline.at(-1)!.names).toEqual([cl('c')]);
  });

  it('serves "*" plus a name as the wildcard, and that name alone later as only that name', async () => {
    const b = await withBridge();
    await b.publish(two, 1);
    const c = client(b.ads.port, { types: ['clusters'], names: { clusters: ['*', cl('a'), cl('nonexistent')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    expect(sorted(c.timeline[0]!.names)).toEqual(all);
    c.subscribe('clusters', [cl('a')]);
    await requestRead();
    await b.publish(changed, 2);
    await c.waitFor((x) => x.timeline.length >= 2, 5000, 'the change');
    await c.quiet();
    expect(c.since(1).map((e) => e.names)).toEqual([[cl('a')]]);
  });
});

describe('state-of-the-world ADS: names that do not exist yet', () => {
  it('sends nothing for an unknown EDS name, then sends it unasked once it exists', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a' }]), 1);
    const c = client(b.ads.port, { types: ['endpoints'], names: { endpoints: [cl('a'), cl('x')] } });
    await c.waitFor((x) => x.heldNames('endpoints').length === 1, 5000, 'A');
    await c.quiet();
    expect(c.timeline.flatMap((e) => e.names)).not.toContain(cl('x'));
    const requests = c.requests.length;

    await b.publish(mesh([{ name: 'a' }, { name: 'x' }]), 2);
    await c.waitFor((x) => x.heldOf('endpoints').has(cl('x')), 5000, 'X once it exists');
    expect(c.requests.slice(requests).every((r) => r.response_nonce)).toBe(true);
  });
});

describe('state-of-the-world ADS: reconnects', () => {
  it('answers every type on a new stream even when the client already holds the current versions', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a' }, { name: 'b' }], [{ from: 'a', prefix: '/b', to: 'b' }]), 1);
    const first = client(b.ads.port);
    await first.waitFor(b.synced(), 5000, 'the first stream');
    const state = first.state();
    first.close();

    const again = client(b.ads.port, { resume: state });
    expect(again.requests.map((r) => r.version_info)).toEqual(DELIVERY_ORDER.map((t) => first.accepted.get(t)));
    await again.waitFor((x) => DELIVERY_ORDER.every((t) => x.since(0, t).length > 0), 5000, 'a response of every type');
    await again.waitFor(b.synced(), 5000, 'the second stream');
    for (const t of DELIVERY_ORDER) expect(again.since(0, t)[0]!.version).toBe(first.accepted.get(t));
  });
});

describe('state-of-the-world ADS: malformed requests', () => {
  it('fails a stream whose request is not a DiscoveryRequest or lacks node with INVALID_ARGUMENT, and keeps serving others', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a' }]), 1);
    const good = client(b.ads.port);
    await good.waitFor(b.synced(), 5000, 'a healthy stream');
    const baseline = { streams: b.ads.streams.size, listeners: b.store.listenerCount('change') };

    const garbage = client(b.ads.port, { types: [] });
    garbage.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    const nodeless = client(b.ads.port, { types: [] });
    nodeless.send('clusters', { node: undefined });
    // A client that does not wait for the status: its next request (with node) must not bring the failed stream back.
    const hasty = client(b.ads.port, { types: [] });
    hasty.send('clusters', { node: undefined });
    hasty.send('clusters', {});

    for (const bad of [garbage, nodeless, hasty]) expect((await bad.closed).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(nodeless.status!.details).toMatch(/node/);
    expect(hasty.timeline).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect({ streams: b.ads.streams.size, listeners: b.store.listenerCount('change') }).toEqual(baseline);

    await b.publish(mesh([{ name: 'a' }, { name: 'b' }]), 2);
    await good.waitFor(b.synced(), 5000, 'the next config on the healthy stream');
    const fresh = client(b.ads.port);
    await fresh.waitFor(b.synced(), 5000, 'a new stream');
  });
});

import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ADS_SERVICE_DEFINITION } from '../../gateway/ads/ads-server';
import { encodeSotwResponse, frameResources, responseFields } from '../../gateway/protos/discovery-codec';
import { DELIVERY_ORDER, RESOURCE_TYPES, type ResourceType } from '../../xds';
import { cl, inDeliveryOrder, mesh, nackOfAddedNameStays, nackUndone, routesUseHeldClusters, openTracker, sorted, startTestBridge, typeOrder, type Svc } from '../support/ads-protocol-fixtures';
import { clustersOfRoutes, SotwAdsClient } from '../support/ads-test-client';
import { envoyProtos } from '../support/bridge-fixtures';

/** The client holds what the bridge targets, at the target's version, for every type it subscribes to. */
const synced =
  (b: Awaited<ReturnType<typeof startTestBridge>>, types: readonly ResourceType[] = DELIVERY_ORDER) =>
  (c: SotwAdsClient) =>
    types.every((t) => c.accepted.get(t) === b.target().types[t].version && c.heldNames(t).join() === sorted(b.target().types[t].resources.keys()).join());

const { client, withBridge, closeAll } = openTracker(SotwAdsClient, synced);

afterEach(async () => {
  // Every response every client got decoded strictly, matched its type and had no repeated names.
  for (const c of await closeAll()) expect(c.violations).toEqual([]);
});


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
    const claBefore = c.held('endpoints').get(cl('a'));
    const edsVersion = c.accepted.get('endpoints');
    const mark = c.timeline.length;
    const requestMark = c.requests.length;

    await b.publish(mesh([{ name: 'a', lb: 'LEAST_REQUEST' }, { name: 'b' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the traffic policy change');
    await c.quiet();
    const pushes = c.since(mark);

    expect(pushes.map((e) => e.type), c.describe(pushes)).toEqual(['clusters', 'endpoints']);
    expect(pushes[0]!.names).toContain(cl('a'));
    expect(c.held('clusters').get(cl('a'))!.lb_policy).toBe('LEAST_REQUEST');
    expect(pushes[1]!.names).toContain(cl('a'));
    expect(pushes[1]!.version).not.toBe(edsVersion);
    expect(c.held('endpoints').get(cl('a'))).toEqual(claBefore);
    // Unprompted: the client's EDS subscription did not change, so it never asked.
    expect(c.requests.slice(requestMark).filter((r) => r.type_url.endsWith('ClusterLoadAssignment') && !r.response_nonce)).toEqual([]);
    expect(new Set(c.requests.slice(requestMark).filter((r) => r.type_url.endsWith('ClusterLoadAssignment')).map((r) => r.resource_names.join()))).toEqual(new Set([sorted([cl('a'), cl('b')]).join()]));
  });
});

describe('state-of-the-world ADS: only what changed for EDS and RDS', () => {
  const many = (n: number, changed?: { at: number; address: string }) =>
    Array.from({ length: n }, (_, i): Svc => ({ name: `s${i}`, ...(changed?.at === i ? { address: changed.address } : {}) }));

  it("pushes only the changed ClusterLoadAssignment and RouteConfiguration, while CDS and LDS stay whole; the client still holds everything", async () => {
    const b = await withBridge();
    await b.publish(mesh(many(20), [{ from: 's0', prefix: '/x', to: 's1' }]), 1);
    const c = client(b.ads.port);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const mark = c.timeline.length;

    // One endpoint moves: only its assignment changes.
    await b.publish(mesh(many(20, { at: 7, address: '10.9.9.9' }), [{ from: 's0', prefix: '/x', to: 's1' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the endpoint change');
    await c.quiet();
    const pushes = c.since(mark);
    expect(pushes.map((e) => `${e.type}:${e.names.join()}`), c.describe(pushes)).toEqual([`endpoints:${cl('s7')}`]);
    expect(c.heldNames('endpoints')).toHaveLength(20);

    // One route changes: only its route configuration goes out (one per port here: both services share 80).
    const mark2 = c.timeline.length;
    await b.publish(mesh(many(20, { at: 7, address: '10.9.9.9' }), [{ from: 's0', prefix: '/x', to: 's2' }]), 3);
    await c.waitFor(b.synced(), 5000, 'the route change');
    await c.quiet();
    const routePushes = c.since(mark2);
    expect(routePushes.map((e) => e.type), c.describe(routePushes)).toEqual(['routes']);
    expect(routePushes[0]!.names).toEqual(['80']);
  });

  it('sends an assignment again when its cluster is dropped and comes back, though its content is the same', async () => {
    const b = await withBridge();
    await b.publish(mesh(many(3)), 1);
    const c = client(b.ads.port);
    await c.waitFor(b.synced(), 5000, 'the first config');
    await b.publish(mesh(many(2)), 2);
    await c.waitFor(b.synced(), 5000, 's2 gone');
    await c.quiet();
    expect(c.heldNames('endpoints')).not.toContain(cl('s2'));
    const mark = c.timeline.length;
    await b.publish(mesh(many(3)), 3);
    await c.waitFor(b.synced(), 5000, 's2 back');
    await c.quiet();
    const pushes = c.since(mark);
    expect(pushes.filter((e) => e.type === 'endpoints').flatMap((e) => e.names), c.describe(pushes)).toEqual([cl('s2')]);
    expect(c.held('endpoints').get(cl('s2'))).toBeDefined();
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
    expect(c.held('routes').get('80')).toSatisfy((r: object) => clustersOfRoutes(r).includes(cl('d')) && !clustersOfRoutes(r).includes(cl('x')));
  });
});

describe('state-of-the-world ADS: a NACK undone', () => {
  it('reports the NACK cleared once the config is back at what the client kept, without a push', () => nackUndone({ client, withBridge }));
  it('keeps reporting a NACK of what a name added to the subscription brings, at the version the client kept', () => nackOfAddedNameStays({ client, withBridge }));
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
    await c.waitFor((x) => x.held('endpoints').get(cl('a'))?.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address === '10.0.1.2', 5000, 'the endpoint change');
    expect(c.nonces.get('endpoints')).not.toBe(staleNonce);

    let mark = c.timeline.length;
    c.subscribe('endpoints', [cl('a'), cl('b')], { nonce: staleNonce });
    await c.waitFor((x) => x.held('endpoints').has(cl('b')), 5000, 'B after a stale-nonce subscribe');
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

  /**
   * A request that only drops names needs no answer. A first EDS request always gets one, and the
   * bridge reads a stream's requests in order: once that answer is in, the earlier request was read.
   */
  const readBy = async (c: SotwAdsClient) => {
    c.subscribe('endpoints', [cl('a')]);
    await c.waitFor((x) => x.since(0, 'endpoints').length > 0, 5000, 'the EDS answer');
  };

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
    await readBy(c);
    await b.publish(changed, 2);
    await c.quiet(200);
    expect(c.since(1, 'clusters').flatMap((e) => e.names), c.describe()).toEqual([]);
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
    await readBy(c);
    await b.publish(changed, 2);
    await c.waitFor((x) => x.since(1, 'clusters').length >= 1, 5000, 'the change');
    await c.quiet();
    expect(c.since(1, 'clusters').map((e) => e.names)).toEqual([[cl('a')]]);
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
    await c.waitFor((x) => x.held('endpoints').has(cl('x')), 5000, 'X once it exists');
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

describe('the Envoy-like test client', () => {
  it('NACKs and records a response with a repeated name, a foreign Any type_url, undecodable bytes or unknown fields', async () => {
    const protos = envoyProtos();
    const fields = responseFields(protos);
    const cluster = (name: string, extra: Uint8Array = new Uint8Array()) => {
      const { typeUrl, value } = protos.envoy.toBinaryAny({ '@type': RESOURCE_TYPES.clusters, name, type: 'STATIC' });
      return toBinary(AnySchema, create(AnySchema, { typeUrl, value: new Uint8Array([...value, ...extra]) }));
    };
    const any = (typeUrl: string, value: Uint8Array) => toBinary(AnySchema, create(AnySchema, { typeUrl, value }));
    const bad = [
      [cluster('a'), cluster('a')],
      [any(RESOURCE_TYPES.listeners, protos.envoy.toBinaryAny({ '@type': RESOURCE_TYPES.listeners, name: 'l' }).value)],
      [any(RESOURCE_TYPES.clusters, new Uint8Array([0xff, 0xff, 0xff]))],
      [cluster('a', new BinaryWriter().tag(999, WireType.Varint).uint32(1).finish())],
    ];
    const server = new grpc.Server();
    server.addService(ADS_SERVICE_DEFINITION, {
      StreamAggregatedResources(call: grpc.ServerDuplexStream<Buffer, Uint8Array>) {
        call.once('data', () => bad.forEach((anys, i) => call.write(encodeSotwResponse(fields, { versionInfo: `v${i}`, typeUrl: RESOURCE_TYPES.clusters, nonce: `n${i}`, resources: frameResources(fields, anys), controlPlane: 'fake' }))));
      },
      DeltaAggregatedResources() {},
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const c = new SotwAdsClient({ port, types: ['clusters'] });
    try {
      await c.waitFor((x) => x.timeline.length === bad.length, 5000, 'the crafted responses');
      expect(c.timeline.map((e) => e.verdict)).toEqual(bad.map(() => 'nack'));
      expect(c.violations.join('\n')).toMatch(/appears twice[\s\S]*differs from the response's[\s\S]*does not decode[\s\S]*unknown field numbers 999/);
      expect(c.requests.filter((r) => r.error_detail).map((r) => [r.response_nonce, r.error_detail.code, r.version_info])).toEqual(bad.map((_, i) => [`n${i}`, 13, '']));
      expect(c.heldNames('clusters')).toEqual([]);
    } finally {
      c.close();
      server.forceShutdown();
    }
  });
});

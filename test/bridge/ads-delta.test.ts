import { afterEach, describe, expect, it } from 'vitest';
import { DELIVERY_ORDER, type ResourceType } from '../../xds';
import { cl, mesh, nackOfAddedNameStays, nackUndone, routesUseHeldClusters, openTracker, sorted, startTestBridge, typeOrder } from '../support/ads-protocol-fixtures';
import { clustersOfRoutes, DeltaAdsClient, type HeldState } from '../support/ads-test-client';

type Bridge = Awaited<ReturnType<typeof startTestBridge>>;

/** The client holds exactly the bridge's target, each resource at its content hash, for every type given. */
const synced =
  (b: Bridge, types: readonly ResourceType[] = DELIVERY_ORDER) =>
  (c: DeltaAdsClient) =>
    types.every((t) => {
      const target = b.target().types[t].resources;
      const held = c.versionsOf(t);
      return sorted(Object.keys(held)).join() === sorted(target.keys()).join() && [...target].every(([name, r]) => held[name] === r.hash);
    });

const { client, withBridge, closeAll } = openTracker(DeltaAdsClient, synced);

afterEach(async () => {
  // Every response decoded strictly, with named and versioned resources, no name twice, none both sent and removed.
  for (const c of await closeAll()) expect(c.violations).toEqual([]);
});

const base = mesh([{ name: 'a' }, { name: 'b' }], [{ from: 'a', prefix: '/b', to: 'b' }]);

describe('delta ADS: what changes are sent', () => {
  it('answers the initial wildcard CDS and LDS requests of an empty view', async () => {
    const b = await withBridge();
    await b.publish('', 1);
    const c = client(b.ads.port);
    await c.waitFor((x) => x.since(0, 'listeners').length === 1, 5000, 'the LDS answer');
    await c.quiet();
    expect(c.timeline.map((e) => [e.type, e.names, e.removed])).toEqual([
      ['clusters', [], []],
      ['listeners', [], []],
    ]);
    expect(c.requests.map((r) => r.type_url.split('.').at(-1))).toEqual(['Cluster', 'Cluster', 'Listener', 'Listener']);
  });

  it('sends each resource with its name and content hash, then only what changed, removing dropped ones after the routes moved', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const c = client(b.ads.port);
    c.invariant('routes only name held clusters', routesUseHeldClusters);
    await c.waitFor(b.synced(), 5000, 'the first config');
    for (const e of c.timeline) for (const name of e.names) expect(e.versions[name]).toBe(b.target().types[e.type].resources.get(name)!.hash);
    const before = Object.fromEntries(DELIVERY_ORDER.map((t) => [t, c.versionsOf(t)])) as Record<ResourceType, Record<string, string>>;
    const mark = c.timeline.length;

    // C is new (a new port: new listener and route config), B is gone, route config 80 changes, A does not.
    await b.publish(mesh([{ name: 'a' }, { name: 'c', port: 8080 }], [{ from: 'a', prefix: '/c', to: 'c' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the second config');
    await c.quiet();
    const pushes = c.since(mark);

    expect(pushes.every((e) => e.verdict === 'ack'), c.describe(pushes)).toBe(true);
    // Only new or changed content; unchanged resources keep their version.
    for (const e of pushes) for (const name of e.names) expect(e.versions[name], `${e.type} ${name}`).not.toBe(before[e.type][name]);
    expect(c.versionsOf('clusters')[cl('a')]).toBe(before.clusters[cl('a')]);
    expect(pushes[0]).toMatchObject({ type: 'clusters', names: [cl('c', 8080)], removed: [] });
    const removal = pushes.findIndex((e) => e.type === 'clusters' && e.removed.includes(cl('b')));
    expect(removal, c.describe(pushes)).toBeGreaterThan(0);
    expect(typeOrder(pushes.slice(0, removal)), c.describe(pushes)).toEqual(['clusters', 'endpoints', 'listeners', 'routes']);
    const sent = (type: ResourceType) => sorted(pushes.slice(0, removal).filter((e) => e.type === type).flatMap((e) => e.names));
    expect(sent('endpoints')).toEqual([cl('c', 8080)]);
    expect(sent('listeners')).toEqual(['0.0.0.0_8080']);
    expect(sent('routes')).toEqual(['80', '8080']);
    expect(pushes.slice(0, removal).flatMap((e) => e.removed)).toEqual([]);
    // After the removal at most the dropped assignment's removal follows.
    expect(pushes.slice(removal + 1).every((e) => e.type === 'endpoints' && e.names.length === 0), c.describe(pushes)).toBe(true);
  });

  it('resends the assignment of a cluster whose definition changed though its endpoints did not (envoy#31535)', async () => {
    const b = await withBridge();
    await b.publish(mesh([{ name: 'a', lb: 'ROUND_ROBIN' }, { name: 'b' }]), 1);
    const c = client(b.ads.port);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const cla = c.versionsOf('endpoints')[cl('a')];
    const mark = c.timeline.length;

    await b.publish(mesh([{ name: 'a', lb: 'LEAST_REQUEST' }, { name: 'b' }]), 2);
    await c.waitFor(b.synced(), 5000, 'the traffic policy change');
    await c.quiet();
    const pushes = c.since(mark);
    expect(pushes.map((e) => [e.type, e.names]), c.describe(pushes)).toEqual([
      ['clusters', [cl('a')]],
      ['endpoints', [cl('a')]],
    ]);
    expect(pushes[1]!.versions[cl('a')]).toBe(cla);
  });
});

describe('delta ADS: subscriptions', () => {
  it('reports a subscribed name that never existed in removed_resources', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const c = client(b.ads.port, { types: ['endpoints'], names: { endpoints: [cl('a'), cl('x')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    expect(c.timeline[0]).toMatchObject({ names: [cl('a')], removed: [cl('x')] });
  });

  it('resends a name subscribed again though the client should hold it', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const c = client(b.ads.port, { types: ['endpoints'], names: { endpoints: [cl('a')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    c.subscribe('endpoints', [cl('a')]);
    await c.waitFor((x) => x.timeline.length === 2, 5000, 'the resend');
    expect(c.timeline[1]).toMatchObject({ names: [cl('a')], removed: [], versions: c.timeline[0]!.versions });
  });

  it('needs no answer to an unsubscribe, and forgets the name', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const c = client(b.ads.port, { types: ['endpoints'], names: { endpoints: [cl('a'), cl('b')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    c.unsubscribe('endpoints', [cl('b')]);
    // A re-subscribe is always answered, and requests are read in order: its answer follows any answer to the unsubscribe.
    c.subscribe('endpoints', [cl('a')]);
    await c.waitFor((x) => x.timeline.length >= 2, 5000, 'the answer to the re-subscribe');
    await c.quiet();
    expect(c.timeline.map((e) => [e.names, e.removed]), c.describe()).toEqual([
      [sorted([cl('a'), cl('b')]), []],
      [[cl('a')], []],
    ]);
    // B's endpoints change: nothing for this client any more.
    await b.publish(mesh([{ name: 'a' }, { name: 'b', address: '10.9.9.9' }], [{ from: 'a', prefix: '/b', to: 'b' }]), 2);
    await c.quiet(200);
    expect(c.timeline, c.describe()).toHaveLength(2);
  });

  it('tells a client under a wildcard whether a name it unsubscribes still belongs to the wildcard', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const c = client(b.ads.port, { types: ['clusters'], names: { clusters: ['*', cl('a'), cl('x')] } });
    await c.waitFor((x) => x.timeline.length === 1);
    expect(c.timeline[0]).toMatchObject({ names: sorted([cl('a'), cl('b')]), removed: [cl('x')] });

    c.unsubscribe('clusters', [cl('a')]);
    await c.waitFor((x) => x.timeline.length === 2, 5000, 'A again (it is in the wildcard)');
    expect(c.timeline[1]).toMatchObject({ names: [cl('a')], removed: [] });

    c.unsubscribe('clusters', [cl('x')]);
    await c.waitFor((x) => x.timeline.length === 3, 5000, 'X removed (it is not in the wildcard)');
    expect(c.timeline[2]).toMatchObject({ names: [], removed: [cl('x')] });
  });

  it('on a reconnect sends only what initial_resource_versions shows the client lacks, and removes what is gone', async () => {
    const b = await withBridge();
    await b.publish(base, 1);
    const first = client(b.ads.port);
    await first.waitFor(b.synced(), 5000, 'the first stream');
    const state = first.state();
    first.close();

    // The client claims a stale route config 80 and a cluster the bridge never had.
    const edit = (type: ResourceType, change: (m: HeldState['resources']) => void): [ResourceType, HeldState] => {
      const held = state.get(type)!;
      const resources = new Map(held.resources);
      change(resources);
      return [type, { ...held, resources }];
    };
    const resume = new Map<ResourceType, HeldState>([
      ...state,
      edit('clusters', (m) => m.set(cl('gone'), { json: { name: cl('gone') }, version: 'v0' })),
      edit('routes', (m) => m.set('80', { ...m.get('80')!, version: 'stale' })),
    ]);

    const again = client(b.ads.port, { resume });
    await again.waitFor((x) => DELIVERY_ORDER.every((t) => x.since(0, t).length > 0), 5000, 'an answer for every type');
    await again.quiet();
    expect(again.timeline.map((e) => [e.type, e.names, e.removed]), again.describe()).toEqual([
      ['clusters', [], [cl('gone')]],
      ['endpoints', [], []],
      ['listeners', [], []],
      ['routes', ['80'], []],
    ]);
    await again.waitFor(b.synced(), 5000, 'the resumed stream holding the target');
  });
});

describe('delta ADS: NACKs', () => {
  it('parks a rejected version (not resent, nothing later sent for it) and delivers the next change', async () => {
    const b = await withBridge();
    const services = [{ name: 'a' }, { name: 'b' }];
    await b.publish(base, 1);
    const c = client(b.ads.port, { rejectIf: (type, resources) => (type === 'clusters' && resources.has(cl('x')) ? 'cluster x: rejected by the test' : undefined) });
    c.invariant('routes only name held clusters', routesUseHeldClusters);
    await c.waitFor(b.synced(), 5000, 'the first config');
    const mark = c.timeline.length;

    await b.publish(mesh([...services, { name: 'x' }], [{ from: 'a', prefix: '/x', to: 'x' }, { from: 'a', prefix: '/b', to: 'b' }]), 2);
    await c.waitFor((x) => x.since(mark).some((e) => e.verdict === 'nack'), 5000, 'the NACK');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(c.since(mark).map((e) => `${e.type}:${e.verdict}`), c.describe(c.since(mark))).toEqual(['clusters:nack']);

    await b.publish(mesh([...services, { name: 'd' }], [{ from: 'a', prefix: '/d', to: 'd' }, { from: 'a', prefix: '/b', to: 'b' }]), 3);
    await c.waitFor(b.synced(), 5000, 'the good config after the NACK');
    await c.quiet();
    const after = c.since(mark);
    expect(after.filter((e) => e.names.includes(cl('x')))).toHaveLength(1);
    expect(after.slice(1).map((e) => [e.type, e.verdict, e.names]), c.describe(after)).toEqual([
      ['clusters', 'ack', [cl('d')]],
      ['endpoints', 'ack', [cl('d')]],
      ['routes', 'ack', ['80']],
    ]);
    expect(clustersOfRoutes(c.held('routes').get('80')!)).toContain(cl('d'));
  });
});

describe('delta ADS: a NACK undone', () => {
  it('reports the NACK cleared once the config is back at what the client kept, without a push', () => nackUndone({ client, withBridge }));
  it('keeps reporting a NACK of what a name added to the subscription brings, at the version the client kept', () => nackOfAddedNameStays({ client, withBridge }));
});

import { beforeAll, describe, expect, it } from 'vitest';
import { edgeFetch } from './edge-fetch';
import { meshManifest } from '../../bench/scale-mesh';
import { applyViewChanges, checkSnapshotsAnswer, DELIVERY_ORDER, RESOURCE_TYPES, type BridgeView, type SnapshotsRequest } from '../../xds';
import { ADMIN, BASE } from './helpers';

// What the edge sends a bridge for a one-object change, counted in bytes of the answer at two mesh
// sizes (real D1 and R2 under workerd): the bridge names the edge's index of the view it holds
// (`since`) and gets the changes, which must not grow with the mesh. Sizes are small enough for
// workerd in CI; the bench measures 10,000 services.
const SMALL = 60;
const LARGE = 600;
const BATCH = 200;
/** The goal at 10,000 services; here it must hold by a wide margin. */
const GOAL_BYTES = 64 * 1024;

const NODES = [{ user_agent_name: 'envoy', labels: {} }];
const VIEW = 'envoy|mesh';

const adminRequest = (method: string, path: string, body: unknown, contentType = 'application/json') =>
  new Request(BASE + path, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': contentType }, body: JSON.stringify(body) });

let services = 0;
async function growTo(n: number): Promise<void> {
  for (; services < n; services = Math.min(n, services + BATCH)) {
    const res = await edgeFetch(adminRequest('POST', '/api/v1/apply', meshManifest(services, Math.min(n, services + BATCH))));
    expect(res.status, await res.clone().text()).toBe(201);
  }
}

async function write(method: string, path: string, patch: unknown): Promise<void> {
  const res = await edgeFetch(adminRequest(method, path, patch, 'application/merge-patch+json'));
  expect(res.status, await res.clone().text()).toBe(200);
}

const host = (i: number) => `svc-${i}.scale.svc.cluster.local`;
const weightChange = (i: number, w: number) =>
  write('PATCH', `/api/v1/namespaces/scale/virtualservices/svc-${i}`, { spec: { http: [{ route: [{ destination: { host: host(i), subset: 'v1' }, weight: w }, { destination: { host: host(i), subset: 'v2' }, weight: 100 - w }] }] } });
const endpointChange = (i: number, last: number) =>
  write('PATCH', `/api/v1/namespaces/scale/serviceentries/svc-${i}`, { spec: { endpoints: [{ address: `10.200.0.${last}`, labels: { version: 'v1' } }, { address: `10.201.0.${last}`, labels: { version: 'v2' } }] } });

/** POST /snapshots as a bridge does; the body's bytes as they came over the wire. */
async function snapshots(body: SnapshotsRequest): Promise<{ status: number; bytes: number; answer?: ReturnType<typeof parse> }> {
  const res = await edgeFetch(adminRequest('POST', '/api/v1/snapshots', body));
  const bytes = (await res.clone().arrayBuffer()).byteLength;
  return { status: res.status, bytes, ...(res.status === 200 ? { answer: parse(await res.json()) } : {}) };
}

function parse(json: unknown) {
  const checked = checkSnapshotsAnswer(json, NODES.length);
  if (!checked.ok) throw new Error(checked.error);
  return checked.answer;
}

async function whole(): Promise<{ view: BridgeView; revision: number; bytes: number }> {
  const { answer, bytes } = await snapshots({ nodes: NODES });
  const view = answer!.snapshots[VIEW]!;
  expect(view.since).toBeUndefined();
  return { view, revision: answer!.revision, bytes };
}

interface Measured {
  wholeBytes: number;
  endpoint: number;
  weight: number;
}
const sizes: Record<number, Measured> = {};

/** One change, asked for as a bridge holding `held` does: the answer's bytes, its changes checked against the whole view. */
async function changeSince(held: BridgeView, change: () => Promise<void>, expectChanged: (view: BridgeView) => void): Promise<{ bytes: number; now: BridgeView }> {
  await change();
  const { answer, bytes } = await snapshots({ nodes: NODES, have: { [VIEW]: held.version }, since: { [VIEW]: held.index! } });
  const incoming = answer!.snapshots[VIEW]!;
  expect(incoming.since).toBe(held.index);
  expectChanged(incoming);
  // The bridge's view after applying the changes is, resource for resource, what a whole answer holds.
  const applied = applyViewChanges(VIEW, held, incoming);
  const now = await whole();
  expect(applied).toEqual(now.view);
  return { bytes, now: applied };
}

const changed = (view: BridgeView, type: (typeof DELIVERY_ORDER)[number]) => view.changes![RESOURCE_TYPES[type]]!;

describe(`a bridge gets a one-object change in the same bytes at ${SMALL} and ${LARGE} services`, () => {
  beforeAll(async () => {
    for (const [step, n] of [SMALL, LARGE].entries()) {
      await growTo(n);
      await weightChange(1, 70 - step); // the first write after growing may rechunk; measure steady ones
      const start = await whole();
      expect(start.view.index).toMatch(/^v\/[0-9a-f]{32}$/);
      const endpoint = await changeSince(start.view, () => endpointChange(3, 10 + step), (v) => {
        // The service's ClusterLoadAssignments (its subsets' and its own), nothing else.
        expect(changed(v, 'endpoints').upsert.map((r) => r.cluster_name)).toEqual([`outbound|8080|v1|${host(3)}`, `outbound|8080|v2|${host(3)}`, `outbound|8080||${host(3)}`]);
        for (const t of ['clusters', 'listeners', 'routes'] as const) expect(changed(v, t)).toMatchObject({ upsert: [], remove: [] });
      });
      const weight = await changeSince(endpoint.now, () => weightChange(2, 60 - step), (v) => {
        // One virtual host of the mesh's RouteConfiguration, not the RouteConfiguration.
        const routes = changed(v, 'routes');
        expect(routes.upsert).toEqual([]);
        expect(routes.parts).toHaveLength(1);
        expect(routes.parts![0]!.upsert.map((vh) => vh.name)).toEqual([expect.stringContaining(host(2))]);
        for (const t of ['clusters', 'endpoints', 'listeners'] as const) expect(changed(v, t)).toMatchObject({ upsert: [], remove: [] });
      });
      sizes[n] = { wholeBytes: start.bytes, endpoint: endpoint.bytes, weight: weight.bytes };
    }
    console.log(JSON.stringify(sizes));
  }, 300_000);

  it('the answer to a one-endpoint and a one-weight change does not grow with the mesh, and is far from the whole view', () => {
    const [small, large] = [sizes[SMALL]!, sizes[LARGE]!];
    // The whole view grows with the mesh (so the comparison below means something) ...
    expect(large.wholeBytes).toBeGreaterThan(small.wholeBytes * 5);
    // ... the changes do not (names are a digit or two longer at most).
    expect(large.endpoint).toBeLessThanOrEqual(small.endpoint + 256);
    expect(large.weight).toBeLessThanOrEqual(small.weight + 256);
    for (const bytes of [large.endpoint, large.weight]) {
      expect(bytes).toBeLessThan(GOAL_BYTES);
      expect(bytes * 20).toBeLessThan(large.wholeBytes);
    }
  });

  it('a bridge that names no index, an unknown one, or no longer has its state gets the view whole; an unchanged edge still answers 304', async () => {
    const now = await whole();
    // An old bridge (no since) and one whose index the edge never wrote.
    for (const since of [undefined, { [VIEW]: `v/${'0'.repeat(32)}` }]) {
      const { answer } = await snapshots({ nodes: NODES, ...(since ? { since } : {}) });
      const view = answer!.snapshots[VIEW]!;
      expect(view.since).toBeUndefined();
      expect(view.changes).toBeUndefined();
      expect(view).toEqual(now.view);
    }
    // The view it holds is current: left out, as before.
    const { answer } = await snapshots({ nodes: NODES, have: { [VIEW]: now.view.version }, since: { [VIEW]: now.view.index! } });
    expect(answer!.snapshots).toEqual({});
    expect((await snapshots({ revision: now.revision, nodes: NODES })).status).toBe(304);
  });

  it('refuses a since that is not an index, naming the field', async () => {
    const res = await edgeFetch(adminRequest('POST', '/api/v1/snapshots', { nodes: NODES, since: { [VIEW]: '../../secret' } }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).toContain('since');
  });
});

import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostOf, meshManifest } from '../../bench/scale-mesh';
import { apply, callJson, countRows, poll } from './helpers';

// The write path's guarantees at mesh scale: a whole mesh in one apply, atomic; a bad object anywhere
// in a ~20 MB manifest stores nothing; concurrent writers into a 10,000-service mesh lose nothing.
const MESH = 10_000;
const WHOLE = 20_000;
const LABELS = { owner: 'gitops' };

const labelled = (docs: Record<string, unknown>[]): any[] => docs.map((d) => ({ ...d, metadata: { ...(d.metadata as object), labels: LABELS } }));

async function counts() {
  return { revisions: await countRows('revisions'), objects: await countRows('objects'), history: await countRows('object_history') };
}

describe(`a ${MESH.toLocaleString('en')}-service mesh`, () => {
  beforeAll(async () => {
    const res = await apply(labelled(meshManifest(0, MESH)), '?prune=true&labelSelector=owner%3Dgitops');
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(201);
    expect(res.body.changes).toHaveLength(3 * MESH);
  }, 600_000);

  it('lists the first of its changes on the revision (D1 rows are capped at 2 MB) and says how many there were', async () => {
    const { body } = await callJson('GET', '/api/v1/revisions?limit=5');
    const whole = body.items.find((r: { changesTotal?: number }) => r.changesTotal !== undefined);
    expect(whole.changesTotal).toBe(3 * MESH);
    expect(whole.changes.length).toBeLessThan(3 * MESH);
    expect(JSON.stringify(whole.changes).length).toBeLessThanOrEqual(1_000_000);
    expect(whole.changes[0]).toMatchObject({ op: 'created', namespace: 'scale' });
  });

  it(`refuses a ${WHOLE.toLocaleString('en')}-service manifest (~20 MB) with one bad object at its end, naming it, and stores nothing`, async () => {
    const docs = labelled(meshManifest(0, WHOLE));
    docs.at(-1).spec.http[0].route[0].weight = -5;
    const body = JSON.stringify(docs);
    expect(body.length).toBeGreaterThan(15_000_000);
    const before = await counts();
    const res = await callJson('POST', '/api/v1/apply?prune=true&labelSelector=owner%3Dgitops', { body, contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([`[${docs.length - 1}].spec.http[0].route[0].weight`]);
    expect(await counts()).toEqual(before);
  }, 600_000);

  it('refuses a whole-mesh apply whose last VirtualService routes to a subset nobody defines (409), and stores nothing', async () => {
    const docs = labelled(meshManifest(0, MESH));
    docs.at(-1).spec.http[0].route[0].destination.subset = 'v9';
    // One more service too, so the apply is not a no-op before the bad reference.
    docs.push(...labelled(meshManifest(MESH, MESH + 1)));
    const before = await counts();
    const res = await apply(docs, '?prune=true&labelSelector=owner%3Dgitops');
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.body.errors)).toContain('v9');
    expect(await counts()).toEqual(before);
    expect((await callJson('GET', `/api/v1/namespaces/scale/serviceentries/svc-${MESH}`)).status).toBe(404);
  }, 600_000);

  it('takes concurrent one-object writes without losing any: each commits its own revision or is told to retry', async () => {
    const services = [11, 222, 3333, 4444, 5555, 6666, 7777, 8888];
    const patch = (i: number) =>
      callJson('PATCH', `/api/v1/namespaces/scale/virtualservices/svc-${i}`, {
        body: { spec: { http: [{ route: [{ destination: { host: hostOf(i, 'scale'), subset: 'v1' }, weight: 33 }, { destination: { host: hostOf(i, 'scale'), subset: 'v2' }, weight: 67 }] }] } },
        contentType: 'application/merge-patch+json',
      });
    const first = await Promise.all(services.map(patch));
    for (const r of first) {
      expect([200, 409]).toContain(r.status);
      if (r.status === 409) expect(r.body.detail).toMatch(/retry/);
    }
    for (const [k, r] of first.entries()) if (r.status === 409) expect((await patch(services[k]!)).status).toBe(200);
    for (const i of services) {
      const vs = await callJson('GET', `/api/v1/namespaces/scale/virtualservices/svc-${i}`);
      expect(vs.body.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([33, 67]);
    }
    const ids = (await env.DB.prepare('select id from revisions order by id').all<{ id: number }>()).results.map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    // And what is served is every write's result: the published route configuration has each new weight.
    const rds = await poll('routes', { names: ['8080'] });
    const weights = new Map<string, number[]>();
    for (const vh of rds.body!.resources[0]!.virtual_hosts) weights.set(vh.domains[0], vh.routes[0].route?.weighted_clusters?.clusters.map((c: { weight: number }) => c.weight));
    for (const i of services) expect(weights.get(hostOf(i, 'scale'))).toEqual([33, 67]);
    expect(weights.get(hostOf(12, 'scale'))).toEqual([90, 10]);
  }, 600_000);
});

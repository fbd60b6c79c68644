import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { edgeFetch } from './edge-fetch';
import { forgetConfigCache } from '../../functions/domain/config/config-cache';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { meshManifest } from '../../bench/scale-mesh';
import { TARGET_CHUNKS } from '../../xds/publish/collection';
import { countingD1, countingR2 } from './counting-bindings';
import { ADMIN, BASE, envoy, envoyNode, poll } from './helpers';

// What a write and a cold isolate cost at two mesh sizes, counted at the bindings (real D1 and R2
// underneath): the costs must not grow with the mesh. Sizes are small enough for workerd in CI; the
// benchmark measures 1,000 to 20,000 services.
const SMALL = 60;
const LARGE = 600;
const BATCH = 200;


const adminRequest = (method: string, path: string, body: unknown, contentType = 'application/json') =>
  new Request(BASE + path, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': contentType }, body: JSON.stringify(body) });

let services = 0;
async function growTo(n: number): Promise<void> {
  for (; services < n; services = Math.min(n, services + BATCH)) {
    const res = await edgeFetch(adminRequest('POST', '/api/v1/apply', meshManifest(services, Math.min(n, services + BATCH))));
    expect(res.status, await res.clone().text()).toBe(201);
  }
}

interface Cost {
  d1Statements: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  r2Gets: number;
  r2Puts: number;
}

/** One VirtualService weight PATCHed, counted. */
async function weightChange(i: number, weight: number): Promise<Cost> {
  const d1 = countingD1(env.DB);
  const r2 = countingR2(env.CONFIG);
  const patch = { spec: { http: [{ route: [{ destination: { host: `svc-${i}.scale.svc.cluster.local`, subset: 'v1' }, weight }, { destination: { host: `svc-${i}.scale.svc.cluster.local`, subset: 'v2' }, weight: 100 - weight }] }] } };
  const res = await edgeFetch(adminRequest('PATCH', `/api/v1/namespaces/scale/virtualservices/svc-${i}`, patch, 'application/merge-patch+json'), { DB: d1.db, CONFIG: r2.bucket });
  expect(res.status, await res.clone().text()).toBe(200);
  return { d1Statements: d1.counts.reads + d1.counts.writes, d1RowsRead: d1.counts.rowsRead, d1RowsWritten: d1.counts.rowsWritten, r2Gets: r2.counts.gets, r2Puts: r2.counts.puts };
}

/** A cold isolate's first CDS poll, counted (status flushes kept out: they are the poll tracker's, not the config's). */
async function coldCds(): Promise<Cost & { clusters: number; bytes: number }> {
  forgetConfigCache();
  forgetTrackedNodes();
  const d1 = countingD1(env.DB);
  const r2 = countingR2(env.CONFIG);
  const res = await poll('clusters', { node: envoyNode('cold') }, (req) => edgeFetch(req, { DB: d1.db, CONFIG: r2.bucket }));
  expect(res.status).toBe(200);
  // The config's read is the head query (id, root); the poll tracker's status flush (its own head
  // check, proxies, revision outcomes) is not the config's: leave it out. No object is ever read.
  expect(d1.counts.statements.filter((s) => /objects/i.test(s))).toEqual([]);
  return { d1Statements: d1.counts.statements.filter((s) => /\broot\b/.test(s)).length, d1RowsRead: d1.counts.rowsRead, d1RowsWritten: d1.counts.rowsWritten, r2Gets: r2.counts.gets, r2Puts: r2.counts.puts, clusters: res.body!.resources.length, bytes: JSON.stringify(res.body).length };
}

const sizes: Record<number, { write: Cost; cold: Awaited<ReturnType<typeof coldCds>> }> = {};

describe(`a write and a cold isolate cost the same at ${SMALL} and ${LARGE} services`, () => {
  beforeAll(async () => {
    for (const [step, n] of [SMALL, LARGE].entries()) {
      await growTo(n);
      await weightChange(1, 70 - step); // the first write after growing may rechunk; measure a steady one
      sizes[n] = { write: await weightChange(2, 60 - step), cold: await coldCds() };
    }
    console.log(JSON.stringify(sizes));
  }, 300_000);

  it('a one-object write reads and writes no more D1 rows, and touches no more R2 blobs, in a mesh ten times the size', () => {
    const [small, large] = [sizes[SMALL]!.write, sizes[LARGE]!.write];
    // The objects a weight change reaches are the same three at any size; chunks touched are a few per collection.
    expect(large.d1Statements).toBe(small.d1Statements);
    expect(large.d1RowsRead).toBeLessThanOrEqual(small.d1RowsRead * 1.5 + 10);
    expect(large.d1RowsWritten).toBeLessThanOrEqual(small.d1RowsWritten * 1.5 + 10);
    expect(large.r2Puts).toBeLessThanOrEqual(small.r2Puts * 1.5 + 4);
    expect(large.r2Gets).toBeLessThanOrEqual(small.r2Gets * 1.5 + 4);
    // And far fewer than the mesh has objects (a write that read the mesh would read 3 × LARGE rows).
    expect(large.d1RowsRead).toBeLessThan(LARGE);
  });

  it('a cold isolate answers its first CDS poll with one D1 query and R2 reads that do not grow with the mesh', () => {
    const [small, large] = [sizes[SMALL]!.cold, sizes[LARGE]!.cold];
    expect(small.clusters).toBe(3 * SMALL);
    expect(large.clusters).toBe(3 * LARGE);
    expect(small.d1Statements).toBe(1);
    expect(large.d1Statements).toBe(1);
    // Root, view index and the type's chunks: a collection keeps at most ~2 × TARGET_CHUNKS chunks at any size.
    for (const cold of [small, large]) expect(cold.r2Gets).toBeLessThanOrEqual(2 + 2 * TARGET_CHUNKS * 1.3);
    expect(large.r2Puts).toBe(0);
  });

  it(`a REST Envoy's view of ${3 * LARGE} clusters subscribes to CDS, LDS and one RDS per route configuration, strictly decoded`, async () => {
    const node = envoyNode('rest-subscriptions');
    const cds = await poll('clusters', { node });
    const lds = await poll('listeners', { node });
    const clusters = cds.body!.resources;
    expect(clusters).toHaveLength(3 * LARGE);
    for (const c of clusters) envoy().decodeStrict(c);
    for (const l of lds.body!.resources) envoy().decodeStrict(l);
    // No EDS cluster: each would be a REST subscription of its own.
    expect(clusters.filter((c) => c.type === 'EDS' || c.eds_cluster_config)).toEqual([]);
    expect(clusters.every((c) => c.type === 'STATIC' && c.load_assignment?.endpoints?.length)).toBe(true);
    const rdsNames = new Set<string>();
    JSON.stringify(lds.body!.resources, (k, v) => (k === 'route_config_name' && rdsNames.add(v), v));
    expect([...rdsNames]).toEqual(['8080']);
    const rds = await poll('routes', { node, names: [...rdsNames] });
    for (const r of rds.body!.resources) envoy().decodeStrict(r);
    expect(rds.body!.resources[0]!.virtual_hosts.length).toBeGreaterThanOrEqual(LARGE);
    console.log(`REST subscriptions per Envoy at ${3 * LARGE} clusters: ${2 + rdsNames.size}`);
  });
});

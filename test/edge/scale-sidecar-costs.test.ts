import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { edgeFetch } from './edge-fetch';
import { meshManifest, hostOf } from '../../bench/scale-mesh';
import { countingD1, countingR2 } from './counting-bindings';
import { ADMIN, BASE, envoy, poll } from './helpers';

type Json = Record<string, any>;

/*
 * Sidecars everywhere, as an operator of a large Istio mesh writes them: every namespace has a
 * namespace-wide Sidecar importing its own namespace. Writes in such a mesh (an ordinary one, and a
 * Sidecar's create, change and delete) are counted at the bindings (real D1 and R2 underneath) at two
 * sizes, the larger with ten times the namespaces, services and Sidecars: what a write reads and writes
 * must not grow with the mesh. Then the views proxies of two namespaces get are checked, strictly decoded.
 */
const PER_NAMESPACE = 10;
const SMALL = 6;
const LARGE = 60;
const ns = (k: number) => `team-${k}`;

const request = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
  new Request(BASE + path, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': contentType }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

const sidecar = (namespace: string, name: string, spec: Json) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec });
const namespaceSidecar = (k: number, extra: string[] = []) => sidecar(ns(k), 'default', { egress: [{ hosts: ['./*', ...extra] }] });

let namespaces = 0;
async function growTo(n: number): Promise<void> {
  for (; namespaces < n; namespaces = Math.min(n, namespaces + 10)) {
    const docs = [];
    for (let k = namespaces; k < Math.min(n, namespaces + 10); k++) docs.push(...meshManifest(0, PER_NAMESPACE, ns(k)), namespaceSidecar(k));
    const res = await edgeFetch(request('POST', '/api/v1/apply', docs));
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

async function counted(req: Request, status: number): Promise<Cost> {
  const d1 = countingD1(env.DB);
  const r2 = countingR2(env.CONFIG);
  const res = await edgeFetch(req, { DB: d1.db, CONFIG: r2.bucket });
  expect(res.status, await res.clone().text()).toBe(status);
  return { d1Statements: d1.counts.reads + d1.counts.writes, d1RowsRead: d1.counts.rowsRead, d1RowsWritten: d1.counts.rowsWritten, r2Gets: r2.counts.gets, r2Puts: r2.counts.puts };
}

const weightChange = (k: number, i: number, weight: number) => {
  const host = hostOf(i, ns(k));
  const patch = { spec: { http: [{ route: [{ destination: { host, subset: 'v1' }, weight }, { destination: { host, subset: 'v2' }, weight: 100 - weight }] }] } };
  return counted(request('PATCH', `/api/v1/namespaces/${ns(k)}/virtualservices/svc-${i}`, patch, 'application/merge-patch+json'), 200);
};
const sidecarChange = (k: number, extra: string[]) => counted(request('PUT', `/api/v1/namespaces/${ns(k)}/sidecars/default`, namespaceSidecar(k, extra)), 200);
/** A Sidecar for some workloads of team-3, importing two hosts by name. */
const CLIENTS = sidecar(ns(3), 'clients', { workloadSelector: { labels: { app: 'client' } }, egress: [{ hosts: [`./${hostOf(1, ns(3))}`, `${ns(5)}/${hostOf(2, ns(5))}`] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });

const sizes: Record<number, Record<'write' | 'sidecarChange' | 'sidecarCreate' | 'sidecarDelete', Cost>> = {};

describe(`writes in a mesh with a Sidecar in each of ${SMALL} and ${LARGE} namespaces cost the same`, () => {
  beforeAll(async () => {
    for (const [step, n] of [SMALL, LARGE].entries()) {
      await growTo(n);
      await weightChange(3, 1, 70 - step); // the first write after growing may rechunk; measure a steady one
      sizes[n] = {
        write: await weightChange(3, 2, 60 - step),
        sidecarChange: await sidecarChange(3, [`${ns(4)}/${hostOf(1, ns(4))}`]),
        sidecarCreate: await counted(request('PUT', `/api/v1/namespaces/${ns(3)}/sidecars/clients`, CLIENTS), 201),
        sidecarDelete: await counted(request('DELETE', `/api/v1/namespaces/${ns(3)}/sidecars/clients`), 200),
      };
      await sidecarChange(3, []);
    }
    console.log(JSON.stringify(sizes));
  }, 600_000);

  it.each(['write', 'sidecarChange', 'sidecarCreate', 'sidecarDelete'] as const)('%s: no more D1 rows or R2 blobs in a mesh ten times the size', (what) => {
    const [small, large] = [sizes[SMALL]![what], sizes[LARGE]![what]];
    expect(large.d1Statements).toBe(small.d1Statements);
    expect(large.d1RowsRead).toBeLessThanOrEqual(small.d1RowsRead * 1.5 + 10);
    expect(large.d1RowsWritten).toBeLessThanOrEqual(small.d1RowsWritten * 1.5 + 10);
    expect(large.r2Puts).toBeLessThanOrEqual(small.r2Puts * 1.5 + 4);
    expect(large.r2Gets).toBeLessThanOrEqual(small.r2Gets * 1.5 + 4);
    // A whole-mesh compile reads every object row (3 per service, one Sidecar per namespace): far more than this.
    expect(large.d1RowsRead).toBeLessThan(LARGE * PER_NAMESPACE);
  });

  const istioNode = (id: string, namespace: string, labels: Record<string, string> = {}) => ({ id, cluster: 'test', user_agent_name: 'envoy', metadata: { NAMESPACE: namespace, LABELS: labels } });

  async function view(node: Json) {
    const out: Record<string, Json[]> = {};
    for (const type of ['clusters', 'listeners'] as const) {
      const res = await poll(type, { node });
      expect(res.status).toBe(200);
      for (const r of res.body!.resources) envoy().decodeStrict(r);
      out[type] = res.body!.resources;
    }
    const rds = await poll('routes', { node, names: ['8080'] });
    for (const r of rds.body!.resources) envoy().decodeStrict(r);
    out.routes = rds.body!.resources;
    return out;
  }

  it('after incremental writes, proxies of two namespaces get their own Sidecar views, consistent, and nothing outside them', async () => {
    await edgeFetch(request('PUT', `/api/v1/namespaces/${ns(7)}/sidecars/default`, namespaceSidecar(7, [`${ns(8)}/${hostOf(4, ns(8))}`])));
    await weightChange(7, 3, 35);
    const a = await view(istioNode('a-1', ns(3)));
    const b = await view(istioNode('b-1', ns(7)));
    const hostsOf = (v: Record<string, Json[]>) => [...new Set(v.clusters!.map((c) => c.name.split('|')[3]))].sort();
    const own = (k: number) => Array.from({ length: PER_NAMESPACE }, (_, i) => hostOf(i, ns(k)));
    expect(hostsOf(a)).toEqual(own(3).sort());
    expect(hostsOf(b)).toEqual([...own(7), hostOf(4, ns(8))].sort());
    for (const v of [a, b]) {
      const names = new Set(v.clusters!.map((c) => c.name));
      const routed = v.routes!.flatMap((rc) => rc.virtual_hosts.flatMap((vh: Json) => vh.routes.flatMap((r: Json) => r.route?.weighted_clusters?.clusters.map((w: Json) => w.name) ?? [r.route?.cluster])));
      for (const c of routed) expect(names, `routed cluster ${c}`).toContain(c);
      expect(v.listeners!.map((l) => l.name)).toEqual(['0.0.0.0_8080']);
    }
    // A host outside team-3's Sidecar has no virtual host there: its proxies cannot reach it.
    const domainsA = a.routes!.flatMap((rc) => rc.virtual_hosts.flatMap((vh: Json) => vh.domains as string[]));
    expect(domainsA).not.toContain(hostOf(4, ns(8)));
    expect(domainsA).toContain(hostOf(2, ns(3)));
    // The write in team-7 shows in team-7's view.
    const vh = b.routes![0]!.virtual_hosts.find((v: Json) => v.domains.includes(hostOf(3, ns(7))));
    expect(vh.routes[0].route.weighted_clusters.clusters.map((w: Json) => w.weight)).toEqual([35, 65]);
  });
});

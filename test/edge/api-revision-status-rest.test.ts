import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../functions/index';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { RESOURCE_TYPES, type ResourceType } from '../../xds';
import { ADMIN, BASE, envoyNode, poll, REVIEWS } from './helpers';

type Json = Record<string, any>;
const { routes: RDS } = RESOURCE_TYPES;

/** Through the Worker's fetch handler with status flushed on every poll, waiting for its waitUntil work. */
const via =
  (extra: Record<string, string> = {}) =>
  async (req: Request) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(req, { ...env, XDS_STATUS_FLUSH_MS: '0', XDS_FRESHNESS_MS: '0', ...extra }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
const edge = via();

async function applyYaml(yaml: string): Promise<number> {
  const res = await edge(new Request(`${BASE}/api/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/yaml' }, body: yaml }));
  expect(res.status).toBe(201);
  return ((await res.json()) as Json).revision;
}

/** GET /revisions/{n}/status with the given stale bound. */
async function statusOf(revision: number, staleMs = 60_000): Promise<Json> {
  const res = await via({ STATUS_STALE_MS: String(staleMs) })(new Request(`${BASE}/api/v1/revisions/${revision}/status`, { headers: { authorization: `Bearer ${ADMIN}` } }));
  return res.json();
}

/** An Envoy polling over REST: the version it holds per subscription, and each poll acknowledged at once. */
function restEnvoy(id: string) {
  const node = envoyNode(id);
  const held = new Map<string, string>();
  const ack = async (type: ResourceType, names?: string[]) => {
    const key = `${type}#${names?.join(',') ?? ''}`;
    const res = await poll(type, { node, version: held.get(key) ?? '', ...(names ? { names } : {}) }, edge);
    if (res.status === 200) {
      held.set(key, res.body!.version_info);
      expect((await poll(type, { node, version: res.body!.version_info, ...(names ? { names } : {}) }, edge)).status).toBe(304);
    }
    return res;
  };
  return {
    ack,
    /**
     * Every subscription Envoy has for the config now: CDS, LDS, RDS per route config its listeners name.
     * No EDS: over REST every cluster carries its endpoints inline.
     */
    async syncAll(): Promise<string[]> {
      const cds = await ack('clusters');
      if (cds.status === 200) expect(cds.body!.resources.filter((c) => c.type === 'EDS' || c.eds_cluster_config)).toEqual([]);
      const lds = await ack('listeners');
      if (lds.status === 200) this.routes = [...new Set(lds.body!.resources.flatMap((l) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config.rds?.route_config_name).filter(Boolean))))] as string[];
      for (const name of this.routes) await ack('routes', [name]);
      return this.routes;
    },
    routes: [] as string[],
  };
}

let ns = '';
beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
  forgetTrackedNodes();
  ns = `restsub-${crypto.randomUUID().slice(0, 8)}`;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Ratings on a port of its own (9091), so the poller also subscribes to route config 9091; deleting it drops that subscription. */
const RATINGS = (ns: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings, namespace: ${ns}}
spec:
  hosts: [ratings.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9091, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.1.1}]
`;

describe('revision status of a REST poller whose subscriptions change', () => {
  it('stops waiting for a subscription the poller dropped (its route config was removed) once it has not been heard of within the stale bound', async () => {
    await applyYaml(`${REVIEWS([80, 20], ns)}---${RATINGS(ns)}`);
    const envoy = restEnvoy('rest-dropped-1');
    const before = await envoy.syncAll();
    expect(before).toContain('9080');
    expect(before).toContain('9091');
    await scheduler.wait(1100);

    const deleted = await edge(new Request(`${BASE}/api/v1/namespaces/${ns}/serviceentries/ratings`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } }));
    expect(deleted.status).toBe(200);
    const { revision } = (await deleted.json()) as Json;
    const after = await envoy.syncAll();
    expect(after).not.toContain('9091');
    expect(after.length).toBe(before.length - 1);

    // The 9091 RDS subscription was last heard of over a second ago: with a 1 s bound it no longer counts.
    expect(await statusOf(revision, 1000)).toMatchObject({ phase: 'converged', counts: { converged: 1, pending: 0 } });
    // Within the bound it still might be a live one not yet polled: pending.
    expect(await statusOf(revision)).toMatchObject({ phase: 'pending', counts: { pending: 1 } });
  });

  it('keeps waiting for a live subscription that has not polled the new revision yet, however long ago it last changed', async () => {
    await applyYaml(REVIEWS([80, 20], ns));
    const envoy = restEnvoy('rest-live-1');
    await envoy.syncAll();
    const t0 = Date.now();
    // The poller keeps polling everything, unchanged (304s): nothing is written until the heartbeat,
    // which records when each subscription was last heard of.
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 20_000);
    await envoy.syncAll();
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 45_000);
    await envoy.syncAll();
    // 70 s later a change of weights (RDS only); the poller has polled all but its routes since.
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 70_000);
    const revision = await applyYaml(REVIEWS([50, 50], ns));
    await envoy.ack('clusters');
    await envoy.ack('listeners');
    const row = await env.DB.prepare('select versions from proxies where node_id = ?').bind('rest-live-1').first<{ versions: string }>();
    const routes = JSON.parse(row!.versions)[`${RDS}#9080`];
    // Last changed 70 s ago, past the 60 s bound, but heard of since.
    expect(Date.parse(routes.updatedAt)).toBeLessThan(t0 + 10_000);
    expect(await statusOf(revision)).toMatchObject({ phase: 'pending', counts: { pending: 1 } });
    await envoy.ack('routes', ['9080']);
    expect(await statusOf(revision)).toMatchObject({ phase: 'converged', counts: { converged: 1 } });
  });
});

describe('the REST status heartbeat', () => {
  it("does not write back an older lastSeen over a fresher one another isolate wrote, for a node this isolate has not seen since", async () => {
    await applyYaml(REVIEWS([80, 20], ns));
    const t0 = Date.now();
    await poll('clusters', { node: envoyNode('hb-1') }, edge);
    // Another isolate hears hb-1 31 s later and records it.
    const fresher = new Date(t0 + 31_000).toISOString();
    await env.DB.prepare('update proxies set last_seen = ? where node_id = ?').bind(fresher, 'hb-1').run();
    // This isolate, which last heard hb-1 at t0, flushes for another node past its heartbeat interval.
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 31_000);
    await poll('clusters', { node: envoyNode('hb-2') }, edge);
    const row = await env.DB.prepare('select last_seen from proxies where node_id = ?').bind('hb-1').first<{ last_seen: string }>();
    expect(row!.last_seen).toBe(fresher);
  });
});

describe('the REST status flush', () => {
  it('is not blocked for good by a flush that never settled (its waitUntil cut short while D1 hung)', async () => {
    await applyYaml(REVIEWS([80, 20], ns));
    // A D1 whose writes never answer: the flush started with it never settles, as when the runtime
    // cancels a request's waitUntil work mid-way.
    const hung = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') return () => new Promise(() => {});
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ctx = createExecutionContext();
    const body = JSON.stringify({ node: envoyNode('stuck-1'), type_url: RESOURCE_TYPES.clusters });
    const res = await app.fetch(new Request(`${BASE}/v3/discovery:clusters`, { method: 'POST', headers: { host: 'xds_cluster', 'content-type': 'application/json' }, body }), { ...env, DB: hung, XDS_STATUS_FLUSH_MS: '0', XDS_FRESHNESS_MS: '0' }, ctx);
    expect(res.status).toBe(200);
    // A minute later, with D1 answering again, this isolate still records what pollers report.
    const t0 = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 61_000);
    await poll('clusters', { node: envoyNode('stuck-2') }, edge);
    const { results } = await env.DB.prepare("select node_id from proxies where node_id like 'stuck-%' order by node_id").all<{ node_id: string }>();
    expect(results.map((r) => r.node_id)).toContain('stuck-2');
  });

  it('writes again what a failed flush could not write, although the poller now only gets 304s', async () => {
    const revision = await applyYaml(REVIEWS([80, 20], ns));
    const node = envoyNode('lost-1');
    const served = await poll('clusters', { node }, edge);
    // The poller's ACK arrives while D1 refuses writes: that flush fails.
    const failing = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') return () => Promise.reject(new Error('D1_ERROR: simulated outage'));
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect((await poll('clusters', { node, version: served.body!.version_info }, via({ DB: failing } as unknown as Record<string, string>))).status).toBe(304);
    // D1 is back; the poller polls again, unchanged.
    expect((await poll('clusters', { node, version: served.body!.version_info }, edge)).status).toBe(304);
    const row = await env.DB.prepare('select versions from proxies where node_id = ?').bind('lost-1').first<{ versions: string }>();
    expect(JSON.parse(row!.versions)[RESOURCE_TYPES.clusters]).toMatchObject({ acked: served.body!.version_info, served: served.body!.version_info, servedRevision: revision });
    expect(await statusOf(revision)).toMatchObject({ phase: 'converged' });
  });
});

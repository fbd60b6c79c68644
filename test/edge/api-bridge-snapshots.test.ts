import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import { forgetConfigCache } from '../../functions/domain/config/config-cache';
import { DELIVERY_ORDER, hashContent, RESOURCE_TYPES } from '../../xds';
import { ADMIN, apply, BASE, call, callJson, envoy, REVIEWS } from './helpers';

type Json = Record<string, any>;
const TYPE_URLS = DELIVERY_ORDER.map((t) => RESOURCE_TYPES[t]);
const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };

const snapshots = (body: unknown, token?: string | null) => callJson('POST', '/api/v1/snapshots', { body: body as object, contentType: 'application/json', ...(token !== undefined ? { token } : {}) });

/** A Gateway (selected by `selector`) with a VirtualService bound to it, in namespace `ns`. */
const GATEWAY = (ns: string, selector: string, host = `reviews.${ns}.example.com`, subset = 'v2') => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: ${ns}}
spec:
  selector: {gw: ${selector}}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*/${host}"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: ${ns}}
spec:
  hosts: [${host}]
  gateways: [ingress]
  http: [{route: [{destination: {host: reviews.${ns}.svc.cluster.local, subset: ${subset}}}]}]
`;

async function setUp(ns: string) {
  expect((await apply(REVIEWS([80, 20], ns))).status).toBe(201);
  const res = await apply(GATEWAY(ns, `${ns}-gw`));
  expect(res.status).toBe(201);
  return res.body.revision as number;
}

/** What a bridge with a gRPC client, a gateway Envoy and a sidecar sends. */
const classes = (ns: string) => [{ user_agent_name: 'gRPC Node Pure JS', labels: {} }, { user_agent_name: 'envoy', labels: { gw: `${ns}-gw` } }, { labels: { app: 'web' } }, { user_agent_name: 'envoy', labels: { gw: `${ns}-gw`, extra: 'x' } }];

describe('POST /api/v1/snapshots', () => {
  it('maps each node class to its view and returns each distinct view once, with ADS config sources', async () => {
    const head = await setUp('snap');
    const res = await snapshots({ nodes: classes('snap') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-xdsflare-stale')).toBeNull();
    expect(res.body.revision).toBe(head);
    // Index-aligned with nodes; the gRPC client and the gateway Envoy get different views.
    expect(res.body.views).toEqual(['grpc|mesh', 'envoy|gw:snap/ingress', 'envoy|mesh', 'envoy|gw:snap/ingress']);
    // The only label any view decision reads is the Gateway selector's: bridges group proxies by it.
    expect(res.body.labelKeys).toEqual(['gw']);
    expect(Object.keys(res.body.snapshots).sort()).toEqual(['envoy|gw:snap/ingress', 'envoy|mesh', 'grpc|mesh']);

    for (const [key, view] of Object.entries<Json>(res.body.snapshots)) {
      expect(Object.keys(view.types)).toEqual(TYPE_URLS);
      expect(view.version).toBe(hashContent(TYPE_URLS.map((u) => view.types[u].version).join('\n')));
      for (const typeUrl of TYPE_URLS) {
        expect(view.types[typeUrl].version, key).toMatch(/^[0-9a-f]{16}$/);
        for (const r of view.types[typeUrl].resources) {
          expect(r['@type']).toBe(typeUrl);
          envoy().decodeStrict(r);
        }
      }
      // The same versions the bridge's clients would get from config_dump in ADS mode.
      const labels = key === 'envoy|gw:snap/ingress' ? 'gw%3Dsnap-gw' : 'app%3Dweb';
      const dump = await callJson('GET', `/api/v1/config_dump?mode=ads&labels=${labels}&client=${key.startsWith('grpc') ? 'grpc' : 'envoy'}`);
      for (const t of DELIVERY_ORDER) expect(view.types[RESOURCE_TYPES[t]].version).toBe(dump.body.configs[t].version_info);
    }

    const mesh = res.body.snapshots['envoy|mesh'].types;
    const eds = mesh[RESOURCE_TYPES.clusters].resources.filter((c: Json) => c.type === 'EDS');
    expect(eds.length).toBeGreaterThan(0);
    for (const c of eds) expect(c.eds_cluster_config.eds_config).toEqual(ADS_SOURCE);
    const rds = mesh[RESOURCE_TYPES.listeners].resources.flatMap((l: Json) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config.rds).filter(Boolean)));
    expect(rds.length).toBeGreaterThan(0);
    for (const r of rds) expect(r.config_source).toEqual(ADS_SOURCE);

    const grpcListeners = res.body.snapshots['grpc|mesh'].types[RESOURCE_TYPES.listeners].resources.map((l: Json) => l.name);
    expect(grpcListeners).toContain('reviews.snap.svc.cluster.local:9080');
    const gwListeners = res.body.snapshots['envoy|gw:snap/ingress'].types[RESOURCE_TYPES.listeners].resources.map((l: Json) => l.name);
    expect(gwListeners).toEqual(['0.0.0.0_8080']);
  });

  it('answers 304 with no body when the bridge already has the head revision', async () => {
    const head = await setUp('same');
    const res = await call('POST', '/api/v1/snapshots', { body: { revision: head, nodes: classes('same') }, contentType: 'application/json' });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('x-xdsflare-revision')).toBe(String(head));
    const older = await snapshots({ revision: head - 1, nodes: classes('same') });
    expect(older.status).toBe(200);
    expect(older.body.revision).toBe(head);
    // No nodes: nothing to render, still the head.
    expect((await snapshots({})).body).toEqual({ revision: head, views: [], labelKeys: ['gw'], snapshots: {} });
  });

  it('leaves out the views whose version the bridge already has', async () => {
    await setUp('have');
    const first = await snapshots({ nodes: classes('have') });
    const have = Object.fromEntries(Object.entries<Json>(first.body.snapshots).map(([k, v]) => [k, v.version]));
    const none = await snapshots({ nodes: classes('have'), have });
    expect(none.status).toBe(200);
    expect(none.body.views).toEqual(first.body.views);
    expect(none.body.snapshots).toEqual({});
    const partial = await snapshots({ nodes: classes('have'), have: { ...have, 'grpc|mesh': 'an-old-version' } });
    expect(Object.keys(partial.body.snapshots)).toEqual(['grpc|mesh']);

    // A change that only the gateway sees: only its view comes back.
    const changed = await apply(GATEWAY('have', 'have-gw', 'reviews.have.example.com', 'v1'));
    expect(changed.status).toBe(201);
    const next = await snapshots({ revision: first.body.revision, nodes: classes('have'), have });
    expect(next.body.revision).toBe(changed.body.revision);
    expect(Object.keys(next.body.snapshots)).toEqual(['envoy|gw:have/ingress']);
    expect(next.body.snapshots['envoy|gw:have/ingress'].version).not.toBe(have['envoy|gw:have/ingress']);
  });

  it('needs a token with xds:read (admin implies it)', async () => {
    expect((await snapshots({}, null)).status).toBe(401);
    const mk = async (name: string, scopes: string[]) => (await callJson('POST', '/api/v1/tokens', { body: { name, scopes } })).body.token as string;
    expect((await snapshots({}, await mk('snap-reader', ['config:read']))).status).toBe(403);
    expect((await snapshots({}, await mk('snap-bridge', ['xds:read']))).status).toBe(200);
  });

  it('refuses bad input, naming the field', async () => {
    const refused = async (body: unknown, path: string, message?: RegExp) => {
      const res = await call('POST', '/api/v1/snapshots', { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json' });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = await res.json<Json>();
      expect(problem).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(problem.errors.map((e: Json) => e.path)).toContain(path);
      if (message) expect(problem.errors.find((e: Json) => e.path === path).message).toMatch(message);
    };
    await refused('{"nodes": [', '', /JSON/);
    await refused([], '', /expected object/);
    await refused({ nodes: {} }, 'nodes', /expected array/);
    await refused({ nodes: Array.from({ length: 1001 }, () => ({ labels: {} })) }, 'nodes', /at most 1000/);
    await refused({ nodes: [{}, {}, {}, { labels: { app: 7 } }] }, 'nodes[3].labels.app', /expected string/);
    await refused({ nodes: [{ labels: [] }] }, 'nodes[0].labels');
    await refused({ nodes: [{ user_agent_name: 1 }] }, 'nodes[0].user_agent_name');
    await refused({ nodes: [{ id: 'x' }] }, 'nodes[0].id', /unknown field/);
    await refused({ have: { 'envoy|mesh': 1 } }, 'have["envoy|mesh"]', /expected string/);
    await refused({ revision: -1 }, 'revision');
    await refused({ revision: 1.5 }, 'revision');
    await refused({ revision: '3' }, 'revision');
    const yaml = await call('POST', '/api/v1/snapshots', { body: 'nodes: []', contentType: 'application/yaml' });
    expect(yaml.status).toBe(415);
    const huge = await call('POST', '/api/v1/snapshots', { body: JSON.stringify({ nodes: [{ labels: { a: 'x'.repeat(1024 * 1024) } }] }), contentType: 'application/json' });
    expect(huge.status).toBe(413);
  });
});

/** A D1 that is down. */
const failingD1 = new Proxy(env.DB, {
  get(target, prop) {
    if (prop === 'prepare' || prop === 'batch' || prop === 'exec') return () => { throw new Error('D1_ERROR: simulated outage'); };
    return Reflect.get(target, prop);
  },
});

async function edgeFetch(body: unknown, e: Partial<typeof env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const req = new Request(`${BASE}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await app.fetch(req, { ...env, ...e }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('snapshots when the config store fails', () => {
  it('is a 503 with nothing cached, and the last snapshot marked stale once something is', async () => {
    forgetConfigCache();
    const down = await edgeFetch({ nodes: [{}] }, { DB: failingD1 });
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toBe('application/problem+json');
    expect(down.headers.get('retry-after')).toBe('1');

    const head = await setUp('outage');
    const up = await edgeFetch({ nodes: [{}] });
    expect(up.status).toBe(200);
    const upBody = await up.json<Json>();
    const stale = await edgeFetch({ nodes: [{}] }, { DB: failingD1, XDS_FRESHNESS_MS: '0' });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-xdsflare-stale')).toBe('true');
    expect(await stale.json()).toEqual(upBody);
    const same = await edgeFetch({ revision: head, nodes: [{}] }, { DB: failingD1, XDS_FRESHNESS_MS: '0' });
    expect(same.status).toBe(304);
    expect(same.headers.get('x-xdsflare-stale')).toBe('true');
    forgetConfigCache();
  });
});

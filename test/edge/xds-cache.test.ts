import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { edgeFetch } from './edge-fetch';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { forgetConfigCache } from '../../functions/domain/config/config-cache';
import { RESOURCE_TYPES, type ResourceType } from '../../xds';
import { countingD1 } from './counting-bindings';
import { ADMIN, BASE, envoyNode, poll, REVIEWS } from './helpers';

// These tests call the Worker's fetch handler directly, so they can hand it a different env
// (a counting or failing D1, other settings) and see this module's per-isolate caches.
type Env = typeof env;

/** A D1 that is down. */
const failingD1 = new Proxy(env.DB, {
  get(target, prop) {
    if (prop === 'prepare' || prop === 'batch' || prop === 'exec') return () => { throw new Error('D1_ERROR: simulated outage'); };
    return Reflect.get(target, prop);
  },
});

const via = (e: Partial<Env> = {}) => (req: Request) => edgeFetch(req, e);

async function admin(method: string, path: string, body?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` };
  if (body) headers['content-type'] = 'application/yaml';
  const res = await edgeFetch(new Request(BASE + path, { method, headers, ...(body ? { body } : {}) }));
  return { status: res.status, body: await res.json<any>() };
}

/** One Envoy poll round (CDS, EDS per cluster, LDS, RDS) with the versions it holds; returns the statuses. */
async function round(fetcher: (r: Request) => Promise<Response>, node: object, held: Map<string, string>, ns: string) {
  const statuses: number[] = [];
  const subs: [ResourceType, string[]?][] = [
    ['clusters'],
    ...['', 'v1', 'v2'].map((s): [ResourceType, string[]] => ['endpoints', [`outbound|9080|${s}|reviews.${ns}.svc.cluster.local`]]),
    ['listeners'],
    ['routes', ['9080']],
  ];
  for (const [type, names] of subs) {
    const key = `${type}${names ?? ''}`;
    const version = held.get(key);
    const res = await poll(type, { node, ...(version ? { version } : {}), ...(names ? { names } : {}) }, fetcher);
    if (res.status === 200) held.set(key, res.body!.version_info);
    statuses.push(res.status);
  }
  return statuses;
}

beforeEach(() => {
  forgetConfigCache();
  forgetTrackedNodes();
});

describe('the poll path and D1', () => {
  it('answers unchanged polls from memory: no D1 query within the freshness window, one head check per poll past it', async () => {
    expect((await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'count'))).status).toBe(201);
    forgetConfigCache(); // as a cold isolate that did not take the write
    const d1 = countingD1(env.DB);
    const node = envoyNode('counted-1');
    const held = new Map<string, string>();
    const warm = via({ DB: d1.db, XDS_FRESHNESS_MS: '600000' });
    expect(await round(warm, node, held, 'count')).toEqual([200, 200, 200, 200, 200, 200]);
    // The cold start: one head check (the published config is read from R2, not the objects from D1),
    // one status flush; after the flush (in its waitUntil), judging the new revision's outcome: the
    // revisions without one, the proxies and the head.
    expect(d1.counts.reads, d1.counts.statements.join('\n')).toBe(4);
    expect(d1.counts.statements.filter((s) => /objects/i.test(s))).toEqual([]);
    expect(d1.counts.writes).toBe(1);

    d1.reset();
    const ROUNDS = 200;
    for (let i = 0; i < ROUNDS; i++) expect(await round(warm, node, held, 'count')).toEqual([304, 304, 304, 304, 304, 304]);
    console.log(`${ROUNDS * 6} unchanged polls inside the freshness window: ${d1.counts.reads} D1 reads, ${d1.counts.writes} writes`);
    // Status is flushed at most every 5 s per isolate: zero writes, or one if this loop ran that long,
    // and then the outcome judging's reads after it; the polls themselves read nothing.
    expect(d1.counts.writes).toBeLessThanOrEqual(1);
    expect(d1.counts.reads).toBeLessThanOrEqual(3 * d1.counts.writes);

    // With no freshness window every poll re-checks the head revision (one small query), and never reloads.
    d1.reset();
    const cold = via({ DB: d1.db, XDS_FRESHNESS_MS: '0', XDS_STATUS_FLUSH_MS: '600000' });
    for (let i = 0; i < 10; i++) expect(await round(cold, node, held, 'count')).toEqual([304, 304, 304, 304, 304, 304]);
    expect(d1.counts.reads).toBe(60);
    expect(d1.counts.statements.every((s) => /from "?revisions"?/i.test(s) && !/objects/i.test(s))).toBe(true);
  });

  it('answers 503 when it has no snapshot and D1 is down, and keeps serving its last snapshot when D1 goes down later', async () => {
    const down = await poll('clusters', {}, via({ DB: failingD1 }));
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');

    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'outage'));
    const up = await poll('clusters', {}, via());
    expect(up.status).toBe(200);
    const stale = via({ DB: failingD1, XDS_FRESHNESS_MS: '0' });
    const same = await poll('clusters', { version: up.body!.version_info }, stale);
    expect(same.status).toBe(304);
    expect(same.headers.get('x-xdsflare-stale')).toMatch(/unavailable/);
    const restarted = await poll('clusters', {}, stale);
    expect(restarted.status).toBe(200);
    expect(restarted.body!.version_info).toBe(up.body!.version_info);
  });
});

describe('xDS credentials', () => {
  it('needs a token with xds:read when anonymous reads are off: in node.metadata.xds_token or a bearer header', async () => {
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'auth'));
    const mk = async (scopes: string[], name: string) => {
      const res = await edgeFetch(new Request(`${BASE}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes }) }));
      return (await res.json<any>()).token as string;
    };
    const xds = await mk(['xds:read'], 'poller');
    const reader = await mk(['config:read'], 'config-reader');
    const locked = via({ ALLOW_ANONYMOUS_XDS: 'false' });

    const anonymous = await locked(new Request(`${BASE}/v3/discovery:clusters`, { method: 'POST', body: JSON.stringify({ node: envoyNode('anon') }) }));
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json<any>()).detail).toMatch(/xds:read/);
    const withMetadata = await poll('clusters', { node: { id: 'n', metadata: { xds_token: xds } } }, locked);
    expect(withMetadata.status).toBe(200);
    expect((await poll('clusters', { token: xds }, locked)).status).toBe(200);
    expect((await poll('clusters', { token: reader }, locked)).status).toBe(403);
    expect((await poll('clusters', { token: 'xf_wrong' }, locked)).status).toBe(401);
    // A token sent while anonymous reads are allowed is still checked.
    expect((await poll('clusters', { token: 'xf_wrong' }, via())).status).toBe(401);
  });
});

describe('what nodes report', () => {
  const statusOf = async (nodeId: string) => {
    const { body } = await admin('GET', '/api/v1/proxies');
    return body.items.find((p: any) => p.nodeId === nodeId);
  };

  it('records each node and the version it holds per subscription, without the token', async () => {
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'track'));
    const fetcher = via({ XDS_STATUS_FLUSH_MS: '0' });
    const node = { ...envoyNode('tracked-1', { app: 'web' }), metadata: { labels: { app: 'web' }, xds_token: 'xf_secret-ish' } };
    const first = await poll('clusters', { node }, via({ XDS_STATUS_FLUSH_MS: '0', ALLOW_ANONYMOUS_XDS: 'true' })).catch(() => undefined);
    expect(first?.status).toBe(401); // an unknown token is refused even where anonymous reads are allowed
    const plain = envoyNode('tracked-1', { app: 'web' });
    const served = await poll('clusters', { node: plain }, fetcher);
    let status = await statusOf('tracked-1');
    expect(status).toMatchObject({ nodeId: 'tracked-1', labels: { app: 'web' }, view: 'envoy|mesh', transport: 'rest', userAgent: 'envoy', stale: false });
    expect(status.subscriptions[RESOURCE_TYPES.clusters]).toMatchObject({ acked: '', served: served.body!.version_info });
    await poll('clusters', { node: plain, version: served.body!.version_info }, fetcher);
    await poll('routes', { node: plain, names: ['9080'] }, fetcher);
    status = await statusOf('tracked-1');
    expect(status.subscriptions[RESOURCE_TYPES.clusters]).toMatchObject({ acked: served.body!.version_info, served: served.body!.version_info });
    expect(status.subscriptions[`${RESOURCE_TYPES.routes}#9080`]).toMatchObject({ acked: '' });
    expect(JSON.stringify(await env.DB.prepare('select * from proxies').all())).not.toContain('secret-ish');
  });

  it('infers a rejection when a node keeps polling with its old version after being served a new one', async () => {
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'nack'));
    const fetcher = via({ XDS_STATUS_FLUSH_MS: '0' });
    const node = envoyNode('rejecting-1');
    const v1 = (await poll('clusters', { node }, fetcher)).body!.version_info;
    await poll('clusters', { node, version: v1 }, fetcher);
    // A change to the clusters: a new subset.
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'nack').replace('- {name: v2, labels: {version: v2}}', '- {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}'));
    const v2 = (await poll('clusters', { node, version: v1 }, fetcher)).body!.version_info;
    expect(v2).not.toBe(v1);
    for (let i = 0; i < 3; i++) expect((await poll('clusters', { node, version: v1 }, fetcher)).status).toBe(200);
    const status = (await statusOf('rejecting-1')).subscriptions[RESOURCE_TYPES.clusters];
    expect(status).toMatchObject({ acked: v1, served: v2, nack: { version: v2, inferred: true } });
    expect(status.nack.message).toMatch(/^inferred: /);
    // Once it accepts, the inferred rejection is cleared.
    await poll('clusters', { node, version: v2 }, fetcher);
    expect((await statusOf('rejecting-1')).subscriptions[RESOURCE_TYPES.clusters].nack).toBeUndefined();
  });
});

describe('make-before-break over REST', () => {
  it('names at most three held clusters in the header, in ASCII', async () => {
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'many'));
    const node = envoyNode('mbb-many');
    const held = new Map<string, string>();
    await round(via(), node, held, 'many');
    await round(via(), node, held, 'many');
    const subsets = ['v3', 'v4', 'v5', 'v6'];
    const manifest = REVIEWS([80, 20], 'many')
      .replace('- {name: v2, labels: {version: v2}}', ['- {name: v2, labels: {version: v2}}', ...subsets.map((v) => `  - {name: ${v}, labels: {version: v2}}`)].join('\n'))
      .replace(/    - \{destination: \{host: reviews\.many\.svc\.cluster\.local, subset: v1\}, weight: 80\}\n    - \{destination: \{host: reviews\.many\.svc\.cluster\.local, subset: v2\}, weight: 20\}/, subsets.map((v) => `    - {destination: {host: reviews.many.svc.cluster.local, subset: ${v}}, weight: 25}`).join('\n'));
    expect((await admin('POST', '/api/v1/apply', manifest)).status).toBe(201);
    const res = await poll('routes', { node, names: ['9080'], version: held.get('routes9080')! }, via());
    expect(res.status).toBe(304);
    expect(res.headers.get('x-xdsflare-held')).toMatch(/^waiting for the node to accept clusters (outbound\|9080\|v\d\|reviews\.many\.svc\.cluster\.local, ){3}\.\.\.$/);
  });

  it('holds routes that name a cluster until the node reports accepting it', async () => {
    await admin('POST', '/api/v1/apply', REVIEWS([80, 20], 'mbb'));
    const fetcher = via();
    const node = envoyNode('mbb-1');
    const held = new Map<string, string>();
    await round(fetcher, node, held, 'mbb');
    await round(fetcher, node, held, 'mbb'); // reports what it accepted
    // A new subset v3 and all traffic moved to it.
    const moved = REVIEWS([80, 20], 'mbb')
      .replace('- {address: 10.0.0.2, labels: {version: v2}}', '- {address: 10.0.0.2, labels: {version: v2}}\n  - {address: 10.0.0.3, labels: {version: v3}}')
      .replace('- {name: v2, labels: {version: v2}}', '- {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}')
      .replace(/    - \{destination: \{host: reviews\.mbb\.svc\.cluster\.local, subset: v1\}, weight: 80\}\n    - \{destination: \{host: reviews\.mbb\.svc\.cluster\.local, subset: v2\}, weight: 20\}/, '    - {destination: {host: reviews.mbb.svc.cluster.local, subset: v3}}');
    expect((await admin('POST', '/api/v1/apply', moved)).status).toBe(201);

    const routes = () => poll('routes', { node, names: ['9080'], version: held.get('routes9080')! }, fetcher);
    const early = await routes();
    expect(early.status).toBe(304);
    expect(held.get('routes9080')).toBeTruthy();
    expect(early.headers.get('x-xdsflare-held')).toContain('outbound|9080|v3|reviews.mbb.svc.cluster.local');
    const cds = await poll('clusters', { node, version: held.get('clusters')! }, fetcher);
    expect(cds.status).toBe(200);
    expect((await routes()).status).toBe(304); // served, but not yet reported as accepted
    expect((await poll('clusters', { node, version: cds.body!.version_info }, fetcher)).status).toBe(304);
    const released = await routes();
    expect(released.status).toBe(200);
    const vh = released.body!.resources[0]!.virtual_hosts.find((v: any) => v.name === 'reviews.mbb.svc.cluster.local:9080');
    expect(vh!.routes[0].route.cluster).toBe('outbound|9080|v3|reviews.mbb.svc.cluster.local');
  });
});

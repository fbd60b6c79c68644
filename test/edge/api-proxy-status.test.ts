import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { edgeFetch } from './edge-fetch';
import { RESOURCE_TYPES } from '../../xds';
import { apply, call, callJson, countRows, envoyNode, poll, REVIEWS } from './helpers';

type Json = Record<string, any>;
const { clusters: CDS, endpoints: EDS, listeners: LDS, routes: RDS } = RESOURCE_TYPES;

const report = (body: unknown, token?: string) => callJson('POST', '/api/v1/proxies/status', { body: body as object, contentType: 'application/json', ...(token ? { token } : {}) });
const proxy = (nodeId: string, types: Json, extra: Json = {}) => ({ node_id: nodeId, cluster: 'c1', user_agent: 'envoy', labels: { app: 'web' }, view: 'envoy|mesh', last_seen: new Date().toISOString(), types, ...extra });
const acked = (version: string, revision: number) => ({ acked: version, served: version, served_revision: revision, nack: null });

async function proxyStatus(nodeId: string): Promise<Json | undefined> {
  const { body } = await callJson('GET', '/api/v1/proxies');
  return body.items.find((p: Json) => p.nodeId === nodeId);
}

describe('POST /api/v1/proxies/status', () => {
  it('stores what a bridge reports, visible in /proxies with the NACK detail; a later nack: null clears it', async () => {
    const res = await report({
      bridge: 'bridge-a',
      proxies: [
        proxy('ads-1', {
          [CDS]: acked('c1', 4),
          [LDS]: { acked: 'l1', served: 'l2', served_revision: 5, nack: { version: 'l2', message: 'Error adding/updating listener(s) 0.0.0.0_9080: duplicate' } },
        }),
      ],
    });
    expect(res.status).toBe(204);
    let status = await proxyStatus('ads-1');
    expect(status).toMatchObject({ nodeId: 'ads-1', cluster: 'c1', userAgent: 'envoy', labels: { app: 'web' }, view: 'envoy|mesh', transport: 'ads', bridge: 'bridge-a', stale: false });
    expect(status!.subscriptions[CDS]).toEqual({ acked: 'c1', served: 'c1', servedRevision: 4, updatedAt: expect.any(String) });
    expect(status!.subscriptions[LDS]).toEqual({
      acked: 'l1',
      served: 'l2',
      servedRevision: 5,
      nack: { version: 'l2', message: 'Error adding/updating listener(s) 0.0.0.0_9080: duplicate', inferred: false, at: expect.any(String) },
      updatedAt: expect.any(String),
    });

    // The client accepted a fixed config; the report names only LDS, so CDS stays as it was.
    expect((await report({ bridge: 'bridge-b', proxies: [proxy('ads-1', { [LDS]: acked('l3', 6) }, { labels: { app: 'web', v: '2' } })] })).status).toBe(204);
    status = await proxyStatus('ads-1');
    expect(status).toMatchObject({ bridge: 'bridge-b', labels: { app: 'web', v: '2' } });
    expect(status!.subscriptions[LDS]).toEqual({ acked: 'l3', served: 'l3', servedRevision: 6, updatedAt: expect.any(String) });
    expect(status!.subscriptions[CDS]).toMatchObject({ acked: 'c1', servedRevision: 4 });
    const stored = await env.DB.prepare("select versions from proxies where node_id = 'ads-1'").first<{ versions: string }>();
    expect(JSON.parse(stored!.versions)[LDS]).not.toHaveProperty('nack');
  });

  it('stores 1,000 proxies from one report', async () => {
    const before = await countRows('proxies');
    const proxies = Array.from({ length: 1000 }, (_, i) => proxy(`bulk-${i}`, { [CDS]: acked('c', 1), [EDS]: acked('e', 1) }));
    expect((await report({ bridge: 'bulk', proxies })).status).toBe(204);
    expect(await countRows('proxies')).toBe(before + 1000);
    const row = await env.DB.prepare("select bridge, transport from proxies where node_id = 'bulk-999'").first();
    expect(row).toEqual({ bridge: 'bulk', transport: 'ads' });
    // Reported again (an update of every row): still 1,000 rows.
    expect((await report({ bridge: 'bulk', proxies })).status).toBe(204);
    expect(await countRows('proxies')).toBe(before + 1000);
    // /proxies lists the newest 1,000: make room for the other tests' proxies.
    await env.DB.prepare("delete from proxies where node_id like 'bulk-%'").run();
  });

  it('marks a proxy stale when its last report is older than STATUS_STALE_MS, and does not trust a clock running ahead', async () => {
    // Stale, not yet gone (STATUS_FORGET_MS, 10 minutes).
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    const ahead = new Date(Date.now() + 60 * 60_000).toISOString();
    expect((await report({ bridge: 'b', proxies: [proxy('ads-old', {}, { last_seen: old }), proxy('ads-ahead', {}, { last_seen: ahead })] })).status).toBe(204);
    expect(await proxyStatus('ads-old')).toMatchObject({ stale: true, lastSeen: old });
    const future = await proxyStatus('ads-ahead');
    expect(Date.parse(future!.lastSeen)).toBeLessThanOrEqual(Date.now());
  });

  it('needs a token with status:write', async () => {
    const mk = async (name: string, scopes: string[]) => (await callJson('POST', '/api/v1/tokens', { body: { name, scopes } })).body.token as string;
    const body = { bridge: 'b', proxies: [proxy('scoped-1', {})] };
    expect((await callJson('POST', '/api/v1/proxies/status', { body, token: null })).status).toBe(401);
    expect((await report(body, await mk('status-reader', ['config:read', 'xds:read']))).status).toBe(403);
    expect(await proxyStatus('scoped-1')).toBeUndefined();
    expect((await report(body, await mk('status-writer', ['status:write']))).status).toBe(204);
    expect(await proxyStatus('scoped-1')).toBeDefined();
  });

  it('refuses bad input, naming the field, and stores nothing', async () => {
    const good = proxy('bad-good', { [CDS]: acked('c', 1) });
    const refused = async (body: unknown, path: string, message?: RegExp) => {
      const before = await countRows('proxies');
      const res = await call('POST', '/api/v1/proxies/status', { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json' });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = await res.json<Json>();
      expect(problem.errors.map((e: Json) => e.path), JSON.stringify(problem.errors)).toContain(path);
      if (message) expect(problem.errors.find((e: Json) => e.path === path).message).toMatch(message);
      expect(await countRows('proxies')).toBe(before);
      expect(await proxyStatus('bad-good')).toBeUndefined();
    };
    const type = (t: Json) => proxy('bad-1', { [CDS]: { ...acked('c', 1), ...t } });
    await refused('{"bridge":', '', /JSON/);
    await refused([good], '', /expected object/);
    await refused({ proxies: [good] }, 'bridge', /required/);
    await refused({ bridge: '', proxies: [good] }, 'bridge');
    await refused({ bridge: 'b', proxies: Array.from({ length: 1001 }, (_, i) => proxy(`over-${i}`, {})) }, 'proxies', /at most 1000/);
    await refused({ bridge: 'b', proxies: [good, proxy('', {})] }, 'proxies[1].node_id');
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', {}, { labels: { app: 1 } })] }, 'proxies[1].labels.app', /expected string/);
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', {}, { view: 'mesh' })] }, 'proxies[1].view', /view key/);
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', {}, { last_seen: 'yesterday' })] }, 'proxies[1].last_seen', /ISO 8601/);
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', {}, { extra: true })] }, 'proxies[1].extra', /unknown field/);
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', { 'type.googleapis.com/envoy.Nope': acked('c', 1) })] }, 'proxies[1].types["type.googleapis.com/envoy.Nope"]', /not a type this control plane serves/);
    await refused({ bridge: 'b', proxies: [good, type({ served_revision: -1 })] }, `proxies[1].types[${JSON.stringify(CDS)}].served_revision`);
    await refused({ bridge: 'b', proxies: [good, type({ served_revision: 'x' })] }, `proxies[1].types[${JSON.stringify(CDS)}].served_revision`);
    await refused({ bridge: 'b', proxies: [good, type({ acked: undefined })] }, `proxies[1].types[${JSON.stringify(CDS)}].acked`, /required/);
    await refused({ bridge: 'b', proxies: [good, type({ nack: { version: 'c' } })] }, `proxies[1].types[${JSON.stringify(CDS)}].nack.message`, /required/);
    await refused({ bridge: 'b', proxies: [good, proxy('bad-1', { [RDS]: 'c' })] }, `proxies[1].types[${JSON.stringify(RDS)}]`);
  });
});

const flushEveryPoll = (req: Request) => edgeFetch(req, { XDS_STATUS_FLUSH_MS: '0' });

describe('REST pollers record the revision they were served from', () => {
  it('records servedRevision per subscription, and a new revision moves it', async () => {
    const first = await apply(REVIEWS([80, 20], 'served'));
    const node = envoyNode('rest-served-1');
    const cds = await poll('clusters', { node }, flushEveryPoll);
    expect(cds.status).toBe(200);
    let status = await proxyStatus('rest-served-1');
    expect(status).toMatchObject({ transport: 'rest', bridge: null });
    expect(status!.subscriptions[CDS]).toMatchObject({ acked: '', served: cds.body!.version_info, servedRevision: first.body.revision });

    // Unchanged clusters at a later revision: the 304 was answered from that revision.
    const second = await apply(REVIEWS([50, 50], 'served'));
    expect((await poll('clusters', { node, version: cds.body!.version_info }, flushEveryPoll)).status).toBe(304);
    status = await proxyStatus('rest-served-1');
    expect(status!.subscriptions[CDS]).toMatchObject({ acked: cds.body!.version_info, served: cds.body!.version_info, servedRevision: second.body.revision });
  });

  it('keeps the old servedRevision while routes are held back for make-before-break', async () => {
    const first = await apply(REVIEWS([80, 20], 'held'));
    const node = envoyNode('rest-held-1');
    const cds = await poll('clusters', { node }, flushEveryPoll);
    await poll('clusters', { node, version: cds.body!.version_info }, flushEveryPoll);
    const rds = await poll('routes', { node, names: ['9080'] }, flushEveryPoll);
    await poll('routes', { node, names: ['9080'], version: rds.body!.version_info }, flushEveryPoll);
    // A new subset v3 with all traffic: its routes must wait until the node accepts the v3 cluster.
    const moved = REVIEWS([80, 20], 'held')
      .replace('- {name: v2, labels: {version: v2}}', '- {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}')
      .replace(/    - \{destination: \{host: reviews\.held\.svc\.cluster\.local, subset: v1\}, weight: 80\}\n    - \{destination: \{host: reviews\.held\.svc\.cluster\.local, subset: v2\}, weight: 20\}/, '    - {destination: {host: reviews.held.svc.cluster.local, subset: v3}}');
    expect((await apply(moved)).status).toBe(201);
    const held = await poll('routes', { node, names: ['9080'], version: rds.body!.version_info }, flushEveryPoll);
    expect(held.status).toBe(304);
    expect(held.headers.get('x-xdsflare-held')).toBeTruthy();
    const status = await proxyStatus('rest-held-1');
    expect(status!.subscriptions[`${RDS}#9080`]).toMatchObject({ acked: rds.body!.version_info, servedRevision: first.body.revision });
  });

  it('a REST poll of a node a bridge reported before clears its bridge', async () => {
    await apply(REVIEWS([80, 20], 'moved'));
    expect((await report({ bridge: 'b', proxies: [proxy('moved-1', { [LDS]: acked('l', 1) })] })).status).toBe(204);
    await poll('clusters', { node: envoyNode('moved-1') }, flushEveryPoll);
    expect(await proxyStatus('moved-1')).toMatchObject({ transport: 'rest', bridge: null });
  });
});

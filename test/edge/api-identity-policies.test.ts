import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { apply, callJson, envoyNode, poll, REVIEWS } from './helpers';

// Identity policies (issue 13 part 1) as the API stores them, and as the edge applies them: to REST
// pollers with identity-bound tokens and to the node classes a bridge relays with their identities.
const ID = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const policies = async () => (await env.DB.prepare('select count(*) as n from identity_policies').first<{ n: number }>())!.n;
const put = (name: string, body: unknown, token?: string) => callJson('PUT', `/api/v1/identity-policies/${name}`, { body: body as object, ...(token ? { token } : {}) });
const snapshots = (body: unknown, token?: string) => callJson('POST', '/api/v1/snapshots', { body: body as object, contentType: 'application/json', ...(token ? { token } : {}) });

async function token(name: string, scopes: string[], identity?: string): Promise<string> {
  const res = await callJson('POST', '/api/v1/tokens', { body: { name, scopes, ...(identity ? { identity } : {}) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token;
}

const GATEWAY = (ns: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: ${ns}}
spec:
  selector: {istio: ${ns}-gateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*/reviews.${ns}.example.com"]}]
`;

describe('identity policies: the API', () => {
  it('creates, replaces, reads, lists and deletes a policy; an identity has one policy', async () => {
    const created = await put('ingress', { identity: ID('gw', 'ingress'), namespaces: ['gw2', 'gw2'], gatewaySelectors: [{ istio: 'ingressgateway' }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/identity-policies/ingress');
    expect(created.body).toMatchObject({ name: 'ingress', identity: ID('gw', 'ingress'), namespaces: ['gw2'], gatewaySelectors: [{ istio: 'ingressgateway' }] });
    const replaced = await put('ingress', { identity: ID('gw', 'ingress') });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ namespaces: [], gatewaySelectors: [], createdAt: created.body.createdAt });
    expect((await callJson('GET', '/api/v1/identity-policies/ingress')).body).toEqual(replaced.body);
    expect((await callJson('GET', '/api/v1/identity-policies')).body.items.map((p: { name: string }) => p.name)).toContain('ingress');

    const before = await policies();
    const taken = await put('ingress-copy', { identity: ID('gw', 'ingress') });
    expect(taken).toMatchObject({ status: 409, body: { errors: [{ path: 'identity', message: expect.stringContaining('policy ingress') }] } });
    expect(await policies()).toBe(before);

    expect((await callJson('DELETE', '/api/v1/identity-policies/ingress')).status).toBe(204);
    expect((await callJson('DELETE', '/api/v1/identity-policies/ingress')).status).toBe(404);
    expect((await callJson('GET', '/api/v1/identity-policies/ingress')).status).toBe(404);
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const before = await policies();
    const cases: [string, unknown, string][] = [
      ['ok-name', { identity: 'spiffe://cluster.local/ns/a' }, 'identity'],
      ['ok-name', { identity: 'spiffe://Cluster.Local/ns/a/sa/b' }, 'identity'],
      ['ok-name', { identity: 'https://cluster.local/ns/a/sa/b' }, 'identity'],
      ['ok-name', { identity: ID('a', 'b'), namespaces: ['Not_A_Namespace'] }, 'namespaces[0]'],
      ['ok-name', { identity: ID('a', 'b'), gatewaySelectors: [{ '-bad': 'x' }] }, 'gatewaySelectors[0]["-bad"]'],
      ['ok-name', { identity: ID('a', 'b'), extra: true }, 'extra'],
      ['Bad_Name', { identity: ID('a', 'b') }, 'name'],
    ];
    for (const [name, body, path] of cases) {
      const res = await put(name, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(res.body)).toContain(path);
    }
    expect(await policies()).toBe(before);
  });

  it('reads with config:read, writes with admin only', async () => {
    const reader = await token('policy-reader', ['config:read']);
    expect((await callJson('GET', '/api/v1/identity-policies', { token: reader })).status).toBe(200);
    expect((await put('nope', { identity: ID('x', 'y') }, reader)).status).toBe(403);
    expect((await callJson('DELETE', '/api/v1/identity-policies/nope', { token: reader })).status).toBe(403);
  });

  it('binds tokens to an identity (xds:read and secrets:read only), and whoami tells a bridge who a token is', async () => {
    const bound = await token('proxy-web', ['xds:read'], ID('shop', 'web'));
    expect((await callJson('GET', '/api/v1/whoami', { token: bound })).body).toEqual({ name: 'proxy-web', scopes: ['xds:read'], identity: ID('shop', 'web') });
    const listed = (await callJson('GET', '/api/v1/tokens')).body.items.find((t: { name: string }) => t.name === 'proxy-web');
    expect(listed.identity).toBe(ID('shop', 'web'));
    const writer = await callJson('POST', '/api/v1/tokens', { body: { name: 'proxy-writer', scopes: ['xds:read', 'config:write'], identity: ID('shop', 'web') } });
    expect(writer).toMatchObject({ status: 400, body: { errors: [{ path: 'scopes.1' }] } });
    const badIdentity = await callJson('POST', '/api/v1/tokens', { body: { name: 'proxy-bad', scopes: ['xds:read'], identity: 'spiffe://x/y' } });
    expect(badIdentity).toMatchObject({ status: 400, body: { errors: [{ path: 'identity' }] } });
    const statusOnly = await token('status-only', ['status:write']);
    expect((await callJson('GET', '/api/v1/whoami', { token: statusOnly })).status).toBe(403);
  });
});

describe('identity policies: what the edge serves', () => {
  it('a REST poller with an identity-bound token gets its view, and a 403 naming the claim outside it', async () => {
    expect((await apply(REVIEWS([80, 20], 'idr'))).status).toBe(201);
    expect((await apply(GATEWAY('idr'))).status).toBe(201);
    const web = await token('idr-web', ['xds:read'], ID('idr', 'web'));
    const node = (ns: string | undefined, labels: Record<string, string> = {}) => ({ ...envoyNode('idr-1', labels), metadata: { labels, ...(ns ? { NAMESPACE: ns } : {}) } });
    expect((await poll('clusters', { token: web, node: node('idr') })).status).toBe(200);
    const elsewhere = await poll('clusters', { token: web, node: node('other') });
    expect(elsewhere.status).toBe(403);
    expect((elsewhere.body as any).errors).toEqual([{ path: 'node.metadata.NAMESPACE', message: expect.stringContaining("namespace 'other' is outside identity") }]);
    const gateway = await poll('listeners', { token: web, node: node('idr', { istio: 'idr-gateway' }) });
    expect((gateway.body as any).errors).toEqual([{ path: 'node.metadata.labels', message: expect.stringContaining('Gateway idr/ingress') }]);

    expect((await put('idr-gw', { identity: ID('idr', 'web'), gatewaySelectors: [{ istio: 'idr-gateway', extra: 'more' }] })).status).toBe(201);
    // The policy's selector carries every label of the Gateway's: the Gateway is allowed.
    expect((await poll('listeners', { token: web, node: node('idr', { istio: 'idr-gateway' }) })).status).toBe(200);
  });

  it('POST /snapshots: a class its identity may not have gets "" and the reason, a bound token reads only as its identity, and a policy change is never a 304', async () => {
    expect((await apply(REVIEWS([80, 20], 'ids'))).status).toBe(201);
    const head = (await apply(GATEWAY('ids'))).body.revision as number;
    const nodes = [
      { user_agent_name: 'envoy', labels: {}, namespace: 'ids', identity: ID('ids', 'web') },
      { user_agent_name: 'envoy', labels: { istio: 'ids-gateway' }, namespace: 'ids', identity: ID('ids', 'web') },
      { user_agent_name: 'envoy', labels: {}, namespace: 'elsewhere', identity: ID('ids', 'web') },
      { user_agent_name: 'envoy', labels: { istio: 'ids-gateway' } },
    ];
    const first = await snapshots({ nodes });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.views[0]).not.toBe('');
    expect(first.body.views.slice(1, 3)).toEqual(['', '']);
    expect(first.body.views[3]).toBe('envoy|gw:ids/ingress');
    expect(first.body.refused).toEqual({ 1: { claim: 'labels', reason: expect.stringContaining('Gateway ids/ingress') }, 2: { claim: 'namespace', reason: expect.stringContaining("'elsewhere'") } });
    expect(typeof first.body.authEpoch).toBe('number');

    const bound = await token('ids-proxy', ['xds:read'], ID('ids', 'web'));
    const claimed = await snapshots({ nodes: [{ labels: {}, namespace: 'ids', identity: ID('ids', 'admin') }] }, bound);
    expect(claimed).toMatchObject({ status: 403, body: { errors: [{ path: 'nodes[0].identity' }] } });
    // Without naming an identity, a bound token's classes are judged as its identity anyway.
    const asGateway = await snapshots({ nodes: [{ user_agent_name: 'envoy', labels: { istio: 'ids-gateway' }, namespace: 'ids' }] }, bound);
    expect(asGateway.body).toMatchObject({ views: [''], refused: { 0: { claim: 'labels' } } });

    // The token created since moved the epoch: the first answer's is old.
    expect((await snapshots({ revision: head, authEpoch: first.body.authEpoch, nodes })).status).toBe(200);
    const again = await snapshots({ nodes });
    const settled = await snapshots({ revision: head, authEpoch: again.body.authEpoch, nodes });
    expect(settled.status).toBe(304);
    expect((await put('ids-web', { identity: ID('ids', 'web'), gatewaySelectors: [{ istio: 'ids-gateway' }] })).status).toBe(201);
    const changed = await snapshots({ revision: head, authEpoch: again.body.authEpoch, nodes });
    expect(changed.status).toBe(200);
    expect(changed.body.views[1]).toBe('envoy|gw:ids/ingress');
    expect(changed.body.refused).toEqual({ 2: expect.objectContaining({ claim: 'namespace' }) });
  });
});

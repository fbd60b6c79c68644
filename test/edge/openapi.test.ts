import { SELF } from 'cloudflare:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import { CA_CERT, RSA_CERT, RSA_KEY_PKCS1 } from '../support/tls-fixtures';
import { BASE, call, envoyNode, REVIEWS, type CallOptions } from './helpers';
import { appRoutes as appRoutesOf, concretePath, documentedOperations as documentedOperationsOf, honoPattern, METHODS, registeredRoutes as registeredRoutesOf, ResponseChecker, type OpenApi } from './openapi-support';

let doc: OpenApi;
let checker: ResponseChecker;

beforeAll(async () => {
  const res = await SELF.fetch(`${BASE}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
  checker = new ResponseChecker(doc);
});

const documentedOperations = () => documentedOperationsOf(doc);
const appRoutes = () => appRoutesOf(app);
const registeredRoutes = () => registeredRoutesOf(app);

describe('GET /openapi.json', () => {
  it('is served without a token, as OpenAPI 3.1 JSON', async () => {
    const res = await SELF.fetch(`${BASE}/openapi.json`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect((await res.json()) as OpenApi).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./), info: { title: expect.any(String), version: expect.any(String) } });
  });

  it('documents every route the app registers', () => {
    const documented = new Set(documentedOperations().map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    // `:action{pause|resume}` may be documented as {action} or as one path per word.
    const undocumented = registeredRoutes().filter((r) => !documented.has(`${r.method} ${r.template}`) && !(r.literals.length && r.literals.every((l) => documented.has(`${r.method} ${l}`))));
    expect([...new Set(undocumented.map((r) => `${r.method} ${r.template}`))].sort(), 'routes without a RouteDoc').toEqual([]);
  });

  it('documents what the catch-all handlers answer (xDS on /v3/*)', () => {
    // An ALL route whose handler takes only (c) answers requests itself: some documented path must fall under it.
    const catchAll = appRoutes().filter((r) => r.method === 'ALL' && r.handler.length < 2);
    expect(catchAll.map((r) => r.path)).toContain('/v3/*');
    for (const r of catchAll) {
      const re = honoPattern(r.path);
      expect(documentedOperations().some(({ path }) => re.test(path)), `${r.path} answers requests but no documented path falls under it`).toBe(true);
    }
  });

  it('documents only operations the app answers', async () => {
    const registered = new Set(registeredRoutes().flatMap((r) => [r.template, ...r.literals].map((p) => `${r.method} ${p}`)));
    for (const { method, path, op } of documentedOperations()) {
      if (registered.has(`${method.toUpperCase()} ${path}`)) continue;
      // Served by a catch-all (xDS): the app must route it somewhere other than its 404 for unknown paths.
      const res = await call(method.toUpperCase(), concretePath(doc, path, op), { body: {} });
      const body = res.status === 404 ? ((await res.json()) as { detail?: string }) : {};
      expect(body.detail ?? '', `${method} ${path} is documented but the app has no route for it`).not.toMatch(/^no route for/);
      await res.body?.cancel();
    }
  });

  it('declares Idempotency-Key exactly on the writes behind the idempotency middleware', () => {
    const guarded = appRoutes().filter((r) => r.method === 'ALL' && r.handler.name === 'idempotencyMiddleware').map((r) => honoPattern(r.path));
    expect(guarded.length).toBeGreaterThan(0);
    for (const { method, path, op } of documentedOperations()) {
      if (method === 'get') continue;
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      const declared = (op.parameters ?? []).some((p: { $ref?: string }) => p.$ref === '#/components/parameters/IdempotencyKey');
      expect(declared, `${method} ${path}: Idempotency-Key`).toBe(guarded.some((re) => re.test(concrete)));
    }
  });

  it('is valid OpenAPI 3.1 (@readme/openapi-parser: the 3.1 schema, refs, parameters, operationIds)', async () => {
    const result = await validate(structuredClone(doc) as never);
    if (!result.valid) expect.fail(compileErrors(result));
    expect(result.specification).toBe('OpenAPI');
  });

  it('names every scope the operations require in the bearer scheme', () => {
    for (const { method, path, op } of documentedOperations()) {
      const security = (op as { security?: Record<string, string[]>[] }).security ?? [];
      expect(security.every((s) => Object.keys(s).every((k) => k === 'bearer')), `${method} ${path}`).toBe(true);
    }
  });
});

describe('answers match the document', () => {
  it('for the Worker\'s own routes', async () => {
    await checker.expectDocumented('get', '/healthz', await call('GET', '/healthz', { token: null }));
    await checker.expectDocumented('get', '/openapi.json', await call('GET', '/openapi.json', { token: null }));
  });

  it('for every GET that needs no parameters', async () => {
    for (const { method, path, op } of documentedOperations()) {
      if (method !== 'get' || path.includes('{') || (op.parameters ?? []).some((p: { required?: boolean }) => p.required)) continue;
      await checker.expectDocumented('get', path, await call('GET', path));
    }
  });
});

describe('representative answers match the document, successes and problems alike', () => {
  const OBJECT = '/api/v1/namespaces/{namespace}/{plural}/{name}';
  /** Calls `method url` and checks the answer against the operation `method path`; returns its body. */
  const check = async (method: (typeof METHODS)[number], path: string, url: string, opts: CallOptions = {}, status?: number) => {
    const res = await call(method.toUpperCase(), url, opts);
    if (status !== undefined) expect(res.status, `${method} ${url}`).toBe(status);
    return checker.expectDocumented(method, path, res);
  };
  const SE = (name: string, extra = '') => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { hosts: [`${name}.default.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'http' }], endpoints: [{ address: '10.0.0.9' }], ...(extra ? { [extra]: true } : {}) },
  });

  it('objects and apply', async () => {
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS() }, 201);
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS() }, 200);
    const dry = await check('post', '/api/v1/apply', '/api/v1/apply?dryRun=true', { body: REVIEWS([90, 5]) }, 200);
    expect(Object.keys(dry.rendered)).toContain('envoy|mesh');
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: 'apiVersion: networking.istio.io/v1\nkind: Nope\n' }, 400);
    await check('post', '/api/v1/apply', '/api/v1/apply?prune=true', { body: REVIEWS() }, 400);

    await check('get', '/api/v1/{plural}', '/api/v1/destinationrules', {}, 200);
    await check('get', '/api/v1/namespaces/{namespace}/{plural}', '/api/v1/namespaces/default/serviceentries?labelSelector=app=reviews', {}, 200);
    for (const plural of ['serviceentries', 'destinationrules', 'virtualservices']) await check('get', OBJECT, `/api/v1/namespaces/default/${plural}/reviews`, {}, 200);
    await check('get', OBJECT, '/api/v1/namespaces/default/virtualservices/nope', {}, 404);

    await check('put', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: SE('ratings') }, 201);
    const vs = await check('get', OBJECT, '/api/v1/namespaces/default/virtualservices/reviews');
    vs.spec.http[0].route[0].weight = 90;
    const updated = await check('put', OBJECT, '/api/v1/namespaces/default/virtualservices/reviews', { body: vs }, 200);
    expect(updated.warnings).toHaveLength(1);
    await check('put', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings?dryRun=true', { body: SE('ratings') }, 200);
    await check('put', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: SE('ratings', 'bogus') }, 400);
    await check('put', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: SE('ratings'), headers: { 'if-match': '"1"' } }, 412);
    await check('put', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: 'x', contentType: 'text/plain' }, 415);
    vs.spec.http[0].route[0].destination.subset = 'v9';
    await check('put', OBJECT, '/api/v1/namespaces/default/virtualservices/reviews', { body: vs }, 409);

    const weights = [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 50 }, { op: 'replace', path: '/spec/http/0/route/1/weight', value: 50 }];
    await check('patch', OBJECT, '/api/v1/namespaces/default/virtualservices/reviews', { body: JSON.stringify(weights), contentType: 'application/json-patch+json' }, 200);
    await check('patch', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: JSON.stringify({ metadata: { labels: { tier: 'x' } } }), contentType: 'application/merge-patch+json' }, 200);
    await check('patch', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', { body: JSON.stringify([{ op: 'jump' }]), contentType: 'application/json-patch+json' }, 400);

    await check('delete', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings?dryRun=true', {}, 200);
    await check('delete', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', {}, 200);
    await check('delete', OBJECT, '/api/v1/namespaces/default/serviceentries/ratings', {}, 404);
  });

  it('revisions, rollback and status', async () => {
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS([80, 20], 'history') }, 201);
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS([50, 50], 'history') }, 201);
    const { items } = await check('get', '/api/v1/revisions', '/api/v1/revisions?limit=1', {}, 200);
    const head = items[0].revision as number;
    expect((await check('get', '/api/v1/revisions/{n}', `/api/v1/revisions/${head}`, {}, 200)).diff.intents).toHaveLength(1);
    await check('get', '/api/v1/revisions/{n}', `/api/v1/revisions/${head}?diff=false`, {}, 200);
    await check('get', '/api/v1/revisions/{n}', '/api/v1/revisions/0', {}, 400);
    await check('get', '/api/v1/revisions/{n}', '/api/v1/revisions/999999', {}, 404);
    await check('get', '/api/v1/revisions/{n}/status', `/api/v1/revisions/${head}/status`, {}, 200);
    await check('get', '/api/v1/revisions/{n}/status', `/api/v1/revisions/${head}/status?wait=forever`, {}, 400);
    await check('post', '/api/v1/revisions/{n}/rollback', `/api/v1/revisions/${head - 1}/rollback`, {}, 201);
    await check('post', '/api/v1/revisions/{n}/rollback', `/api/v1/revisions/${head - 1}/rollback`, {}, 200);
  });

  it('tokens, and the 401 and 403 every scoped operation may answer', async () => {
    const created = await check('post', '/api/v1/tokens', '/api/v1/tokens', { body: { name: 'openapi-reader', scopes: ['config:read'] } }, 201);
    await check('post', '/api/v1/tokens', '/api/v1/tokens', { body: { name: 'openapi-reader', scopes: ['config:read'] } }, 409);
    await check('post', '/api/v1/tokens', '/api/v1/tokens', { body: { name: 'x', scopes: ['root'] } }, 400);
    await check('get', '/api/v1/tokens', '/api/v1/tokens', {}, 200);
    await check('get', '/api/v1/tokens', '/api/v1/tokens', { token: null }, 401);
    await check('get', '/api/v1/tokens', '/api/v1/tokens', { token: created.token }, 403);
    await check('delete', '/api/v1/tokens/{name}', '/api/v1/tokens/openapi-reader', {}, 204);
    await check('delete', '/api/v1/tokens/{name}', '/api/v1/tokens/openapi-reader', {}, 404);
  });

  it('proxies, the bridge\'s endpoints and config_dump', async () => {
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS() });
    const types = { 'type.googleapis.com/envoy.config.cluster.v3.Cluster': { acked: 'a', served: 'b', served_revision: 1, nack: { version: 'b', message: 'bad cluster' } } };
    const report = { bridge: 'bridge-1', proxies: [{ node_id: 'gw-1', labels: { app: 'web' }, view: 'envoy|mesh', last_seen: new Date().toISOString(), types }] };
    await check('post', '/api/v1/proxies/status', '/api/v1/proxies/status', { body: report }, 204);
    await check('post', '/api/v1/proxies/status', '/api/v1/proxies/status', { body: { bridge: 'b', proxies: [{ node_id: 'x' }] } }, 400);
    const { items } = await check('get', '/api/v1/proxies', '/api/v1/proxies', {}, 200);
    expect(items[0].subscriptions).not.toEqual({});
    const snapshots = await check('post', '/api/v1/snapshots', '/api/v1/snapshots', { body: { nodes: [{ user_agent_name: 'envoy', labels: { app: 'web' } }] } }, 200);
    await check('post', '/api/v1/snapshots', '/api/v1/snapshots', { body: { revision: snapshots.revision } }, 304);
    await check('post', '/api/v1/snapshots', '/api/v1/snapshots', { body: { nodes: 'all' } }, 400);
    await check('get', '/api/v1/config_dump', '/api/v1/config_dump?labels=app%3Dweb&client=grpc', {}, 200);
    await check('get', '/api/v1/config_dump', '/api/v1/config_dump?node=never-seen', {}, 404);
    await check('get', '/api/v1/bootstrap', '/api/v1/bootstrap?node=gw-1&label=app=web', {}, 200);
    await check('get', '/api/v1/bootstrap', '/api/v1/bootstrap?node=gw-1&mode=ads', { headers: { accept: 'application/json' } }, 200);
    await check('get', '/api/v1/bootstrap', '/api/v1/bootstrap?node=gw-1&mode=grpc', {}, 200);
    await check('get', '/api/v1/bootstrap', '/api/v1/bootstrap?node=gw-1&mode=file', {}, 400);
    await check('get', '/api/v1/export', '/api/v1/export?node=gw-1&dir=/etc/envoy/xds', {}, 200);
  });

  it('secrets', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'shop-cert', namespace: 'shop' }, stringData: { 'tls.crt': RSA_CERT, 'tls.key': RSA_KEY_PKCS1, 'ca.crt': CA_CERT } };
    const SECRET = '/api/v1/namespaces/{namespace}/secrets/{name}';
    await check('put', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert', { body: secret }, 201);
    await check('put', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert?dryRun=true', { body: secret }, 200);
    await check('put', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert', { body: { ...secret, stringData: { 'tls.crt': 'nope' } } }, 400);
    await check('get', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert', {}, 200);
    await check('get', '/api/v1/namespaces/{namespace}/secrets', '/api/v1/namespaces/shop/secrets', {}, 200);
    await check('get', '/api/v1/secrets', '/api/v1/secrets', {}, 200);
    await check('delete', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert', {}, 200);
    await check('get', SECRET, '/api/v1/namespaces/shop/secrets/shop-cert', {}, 404);
  });

  it('REST xDS', async () => {
    await check('post', '/api/v1/apply', '/api/v1/apply', { body: REVIEWS() });
    const poll = (type: string, body: object, opts: CallOptions = {}) => ({ body: { node: envoyNode('sidecar-openapi'), ...body }, token: null, headers: { host: 'xds_cluster' }, ...opts });
    const cds = await check('post', '/v3/discovery:clusters', '/v3/discovery:clusters', poll('clusters', {}), 200);
    await check('post', '/v3/discovery:clusters', '/v3/discovery:clusters', poll('clusters', { version_info: cds.version_info }), 304);
    await check('post', '/v3/discovery:endpoints', '/v3/discovery:endpoints', poll('endpoints', { resource_names: ['outbound|9080|v1|reviews.default.svc.cluster.local'] }), 200);
    await check('post', '/v3/discovery:listeners', '/v3/discovery:listeners', poll('listeners', {}), 200);
    await check('post', '/v3/discovery:routes', '/v3/discovery:routes', poll('routes', { resource_names: ['9080'] }), 200);
    await check('post', '/v3/discovery:routes', '/v3/discovery:routes', poll('routes', { resource_names: 'all' }), 400);
    await check('post', '/v3/discovery:secrets', '/v3/discovery:secrets', poll('secrets', {}), 401);
    await check('post', '/v3/discovery:secrets', '/v3/discovery:secrets', poll('secrets', { resource_names: ['kubernetes://nope'] }, { token: undefined }), 200);
  });
});

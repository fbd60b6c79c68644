import { SELF } from 'cloudflare:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import { BASE, call, REVIEWS } from './helpers';
import { concretePath, honoPattern, METHODS, openApiPath, ResponseChecker, type OpenApi } from './openapi-support';

let doc: OpenApi;
let checker: ResponseChecker;

beforeAll(async () => {
  const res = await SELF.fetch(`${BASE}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
  checker = new ResponseChecker(doc);
});

const documentedOperations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method]! })));

/** Handlers and middleware registered on the app; a handler takes (c), middleware (c, next). */
const appRoutes = () => app.routes.map((r) => ({ method: r.method, path: r.path, handler: r.handler as ((...args: unknown[]) => unknown) & { name: string } }));

describe('GET /openapi.json', () => {
  it('is served without a token, as OpenAPI 3.1 JSON', async () => {
    const res = await SELF.fetch(`${BASE}/openapi.json`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect((await res.json()) as OpenApi).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./), info: { title: expect.any(String), version: expect.any(String) } });
  });

  it('documents every route the app registers', () => {
    const documented = new Set(documentedOperations().map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    const registered = new Set(appRoutes().filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`));
    expect([...registered].filter((r) => !documented.has(r)).sort(), 'routes without a RouteDoc').toEqual([]);
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
    const registered = new Set(appRoutes().filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`));
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

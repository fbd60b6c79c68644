import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import { ADS_TYPE_URLS, type AdsType } from '../../xds';
import { ADMIN, BASE, callJson, envoyNode } from './helpers';
import { concretePath, documentedOperations, registeredRoutes, ResponseChecker, type OpenApi, type Operation } from './openapi-support';

/**
 * Issue 13's auth matrix, generated from /openapi.json at test time: every documented operation × no
 * token, malformed and unknown tokens, a revoked token, a token of each scope, the admin secret → the
 * answer the document gives for it. A route the app registers but the document lacks fails it, so a new
 * route is covered (or refused) without editing this file.
 */

/** Every scope an operation of the document requires, and admin: read from the document, so a new scope is covered too. */
let SCOPES: string[] = [];

type Credential = {
  name: string;
  /** What the Authorization header says, or nothing. */
  header?: string;
  /** Who the edge should take the caller for: nobody (no bearer token it can read), a wrong one, or these scopes. */
  is: 'anonymous' | 'invalid' | { scopes: readonly string[] };
};

const tokens: Record<string, string> = {};
let doc: OpenApi;
let checker: ResponseChecker;

beforeAll(async () => {
  doc = (await (await SELF.fetch(`${BASE}/openapi.json`)).json()) as OpenApi;
  checker = new ResponseChecker(doc);
  SCOPES = [...new Set([...documentedOperations(doc).flatMap(({ op }) => ((op as { security?: Record<string, string[]>[] }).security ?? []).flatMap((s) => s.bearer ?? [])), 'admin'])].sort();
  for (const scope of SCOPES) {
    const res = await callJson('POST', '/api/v1/tokens', { body: { name: `matrix-${scope.replace(':', '-')}`, scopes: [scope] } });
    expect(res.status).toBe(201);
    tokens[scope] = res.body.token;
  }
  const revoked = await callJson('POST', '/api/v1/tokens', { body: { name: 'matrix-revoked', scopes: [...SCOPES] } });
  tokens.revoked = revoked.body.token;
  expect((await callJson('DELETE', '/api/v1/tokens/matrix-revoked')).status).toBe(204);
});

const credentials = (): Credential[] => [
  { name: 'no Authorization header', is: 'anonymous' },
  { name: 'Bearer with no token', header: 'Bearer', is: 'anonymous' },
  { name: 'a Basic credential', header: 'Basic YWRtaW46dGVzdC1hZG1pbi10b2tlbg==', is: 'anonymous' },
  { name: 'Bearer with two words', header: `Bearer ${ADMIN} extra`, is: 'anonymous' },
  { name: 'an unknown token', header: 'Bearer xf_0000000000000000000000000000000000000000000000000', is: 'invalid' },
  { name: 'the admin secret with a character changed', header: `Bearer ${ADMIN.slice(0, -1)}X`, is: 'invalid' },
  { name: 'a 4 KiB token', header: `Bearer ${'x'.repeat(4096)}`, is: 'invalid' },
  { name: 'a revoked token that had every scope', header: `Bearer ${tokens.revoked}`, is: 'invalid' },
  ...SCOPES.map((scope): Credential => ({ name: `a token of scope ${scope}`, header: `Bearer ${tokens[scope]}`, is: { scopes: [scope] } })),
  { name: 'the ADMIN_TOKEN secret', header: `Bearer ${ADMIN}`, is: { scopes: ['admin'] } },
];

/** What the document says this operation answers this caller: 401, 403, or one of its other documented statuses. */
function documentedAuth(op: Operation & { security?: Record<string, string[]>[] }, who: Credential['is']): 401 | 403 | 'allowed' {
  const security = op.security ?? [];
  if (!security.length) return 'allowed';
  const scopes = security.flatMap((s) => s.bearer ?? []);
  const anonymousAllowed = security.some((s) => Object.keys(s).length === 0);
  if (who === 'anonymous') return anonymousAllowed ? 'allowed' : 401;
  if (who === 'invalid') return 401;
  return who.scopes.includes('admin') || scopes.some((s) => who.scopes.includes(s)) ? 'allowed' : 403;
}

/** A request for the operation shaped well enough that the edge gets as far as judging the caller. */
function probe(path: string, method: string, op: Operation & { requestBody?: { content: Record<string, unknown> } }, credential: Credential, inBody: boolean): Request {
  const headers: Record<string, string> = {};
  if (credential.header && !inBody) headers.authorization = credential.header;
  let body: string | undefined;
  if (path.startsWith('/v3/discovery:')) {
    // A DiscoveryRequest as Envoy sends it: the token may ride in node.metadata.xds_token.
    const node = envoyNode(`matrix-${op.operationId}`);
    if (inBody && credential.header) (node.metadata as Record<string, unknown>).xds_token = credential.header.replace(/^Bearer\s+/, '');
    body = JSON.stringify({ node, type_url: ADS_TYPE_URLS[path.slice('/v3/discovery:'.length) as AdsType] });
    headers.host = 'xds_cluster';
  } else if (op.requestBody) {
    body = '{}';
  }
  if (body !== undefined) headers['content-type'] = Object.keys(op.requestBody?.content ?? { 'application/json': {} }).includes('application/json') ? 'application/json' : Object.keys(op.requestBody!.content)[0]!;
  return new Request(BASE + concretePath(doc, path, op), { method: method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}) });
}

describe('auth matrix generated from /openapi.json', () => {
  it('covers every route the app registers (a route missing from the document fails here)', () => {
    const documented = new Set(documentedOperations(doc).map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    const missing = registeredRoutes(app).filter((r) => !documented.has(`${r.method} ${r.template}`) && !(r.literals.length && r.literals.every((l) => documented.has(`${r.method} ${l}`))));
    expect(missing.map((r) => `${r.method} ${r.template}`)).toEqual([]);
    expect(documentedOperations(doc).length).toBeGreaterThan(40);
  });

  it('every scoped operation declares its bearer scope and documents 401 and 403', () => {
    for (const { method, path, op } of documentedOperations(doc)) {
      const security = (op as { security?: Record<string, string[]>[] }).security;
      expect(security, `${method} ${path} declares security`).toBeDefined();
      if (!security!.length) continue;
      expect(security!.flatMap((s) => s.bearer ?? []), `${method} ${path} names one scope`).toHaveLength(1);
      expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('answers each operation × credential as the document says', async () => {
    const answered: string[] = [];
    for (const { method, path, op } of documentedOperations(doc)) {
      for (const credential of credentials()) {
        // xDS pollers may carry the token in the body: each credential is tried both ways there.
        for (const inBody of path.startsWith('/v3/discovery:') && /^Bearer \S+$/.test(credential.header ?? '') ? [false, true] : [false]) {
          const what = `${method.toUpperCase()} ${path} with ${credential.name}${inBody ? ' in node.metadata.xds_token' : ''}`;
          const res = await SELF.fetch(probe(path, method, op, credential, inBody));
          const expected = documentedAuth(op, credential.is);
          if (expected === 'allowed') expect([401, 403], `${what}: ${res.status}`).not.toContain(res.status);
          else expect(res.status, what).toBe(expected);
          if (res.status === 401) expect(res.headers.get('www-authenticate'), what).toBe('Bearer');
          if (res.status < 500) await checker.expectDocumented(method, path, res);
          else expect.fail(`${what}: ${res.status} ${await res.text()}`);
          answered.push(`${res.status}`);
        }
      }
    }
    console.log(`auth matrix: ${documentedOperations(doc).length} operations, ${credentials().length} credentials, ${answered.length} requests; answers by status: ${JSON.stringify(Object.fromEntries([...new Set(answered)].sort().map((s) => [s, answered.filter((a) => a === s).length])))}`);
  }, 120_000);
});

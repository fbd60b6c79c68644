import { MAX_BODY_BYTES, MAX_MANIFEST_BYTES } from '../../functions/http/body';
import { describe, expect, it } from 'vitest';
import { apply, call, callJson, countRows, REVIEWS } from './helpers';

/** Each bad request: the right status, problem+json naming the field, and nothing stored. */
async function refused(send: () => Promise<{ status: number; body: any; headers: Headers }>, status: number) {
  const revisions = await countRows('revisions');
  const objects = await countRows('objects');
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(await countRows('revisions')).toBe(revisions);
  expect(await countRows('objects')).toBe(objects);
  return res.body;
}

const vsPath = '/api/v1/namespaces/bad/virtualservices/reviews';
const vs = (http: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'bad' }, spec: { hosts: ['reviews.bad.svc.cluster.local'], http } });
const host = 'reviews.bad.svc.cluster.local';

describe('bad input is refused with the field named, and nothing is stored', () => {
  it('malformed YAML', async () => {
    const body = await refused(() => apply('kind: ServiceEntry\nspec: {hosts: [a\n'), 400);
    expect(body.errors[0].path).toBe('');
    expect(body.errors[0].message).toMatch(/at line 3, column 1$/);
  });

  it('malformed JSON', async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: '{"kind": "VirtualService",', contentType: 'application/json' }), 400);
    expect(body.errors[0].message).toMatch(/line 1/);
  });

  it('an unknown field, with a suggestion', async () => {
    await apply(REVIEWS([80, 20], 'bad'));
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ route: [{ destination: { host, subset: 'v1' }, wieght: 100 }] }]) }), 400);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].route[0].wieght', message: 'unknown field "wieght" (did you mean "weight"?)' });
  });

  it('an Istio field not supported yet is named, not ignored', async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ route: [{ destination: { host } }], delegate: { name: 'reviews-v1' } }]) }), 400);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].delegate', message: '"delegate" is an Istio field this control plane does not support yet' });
  });

  it('a wrong type', async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ route: [{ destination: { host, subset: 'v1' }, weight: '80' }] }]) }), 400);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].route[0].weight', message: 'expected integer, got string "80"' });
  });

  it("a fault delay's integer percent out of range (Istio's deprecated 0-100 field)", async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ fault: { delay: { fixedDelay: '2s', percent: 101 } }, route: [{ destination: { host } }] }]) }), 400);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].fault.delay.percent', message: 'must be from 0 to 100' });
  });

  it('a negative weight', async () => {
    const body = await refused(() => apply(REVIEWS([-10, 110], 'neg')), 400);
    expect(body.errors).toContainEqual({ path: '[2].spec.http[0].route[0].weight', message: 'must not be negative' });
  });

  it('all-zero weights', async () => {
    const body = await refused(() => apply(REVIEWS([0, 0], 'zero')), 400);
    expect(body.errors).toContainEqual({ path: '[2].spec.http[0].route', message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' });
  });

  it('a route to a host no ServiceEntry declares (409)', async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ route: [{ destination: { host: 'ghost.bad.svc.cluster.local' } }] }]) }), 409);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].route[0].destination.host', message: 'no ServiceEntry declares host ghost.bad.svc.cluster.local', object: 'VirtualService/bad/reviews' });
  });

  it('a subset no DestinationRule defines (409)', async () => {
    const body = await refused(() => callJson('PUT', vsPath, { body: vs([{ route: [{ destination: { host, subset: 'v9' } }] }]) }), 409);
    expect(body.errors).toContainEqual({ path: 'spec.http[0].route[0].destination.subset', message: 'subset v9 is not defined by DestinationRule/bad/reviews', object: 'VirtualService/bad/reviews' });
  });

  it('a name in the body that disagrees with the URL', async () => {
    const body = await refused(() => callJson('PUT', '/api/v1/namespaces/bad/virtualservices/other', { body: vs([{ route: [{ destination: { host } }] }]) }), 400);
    expect(body.errors[0].path).toBe('metadata.name');
  });

  it('a body that is neither JSON nor YAML (415) or too large (413)', async () => {
    await refused(() => callJson('POST', '/api/v1/apply', { body: 'x', contentType: 'text/plain' }), 415);
    // Objects take a megabyte; apply takes a whole mesh (MAX_MANIFEST_BYTES), and no more.
    const big = await refused(() => callJson('PUT', '/api/v1/namespaces/default/virtualservices/big', { body: `# ${'x'.repeat(MAX_BODY_BYTES + 10)}` }), 413);
    expect(big.detail).toContain(String(MAX_BODY_BYTES));
    const huge = await refused(() => callJson('POST', '/api/v1/apply', { body: `# ${'x'.repeat(MAX_MANIFEST_BYTES + 10)}` }), 413);
    expect(huge.detail).toContain(String(MAX_MANIFEST_BYTES));
  });

  it('a missing token (401), a wrong token (401), a token without the scope (403)', async () => {
    const missing = await refused(() => callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'auth2'), token: null }), 401);
    expect(missing.detail).toMatch(/bearer token/);
    const wrong = await refused(() => callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'auth3'), token: 'not-a-token' }), 401);
    expect(wrong.detail).toBe('invalid token');
    const reader = await callJson('POST', '/api/v1/tokens', { body: { name: 'reader', scopes: ['config:read'] } });
    const forbidden = await refused(() => callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'auth4'), token: reader.body.token }), 403);
    expect(forbidden.detail).toBe('token "reader" lacks scope config:write');
    expect((await call('GET', '/api/v1/virtualservices', { token: reader.body.token })).status).toBe(200);
  });
});

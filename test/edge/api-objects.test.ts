import { describe, expect, it } from 'vitest';
import { apply, call, callJson, countRows, REVIEWS } from './helpers';

const SE = (name: string, host = `${name}.example.com`) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: 'shop' },
  spec: { hosts: [host], resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] },
});

describe('objects: CRUD by namespace and name', () => {
  it('creates from JSON, reads back with metadata and ETag, lists by namespace and cluster-wide', async () => {
    const put = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/payments', { body: SE('payments') });
    expect(put.status).toBe(201);
    expect(put.body.metadata).toMatchObject({ name: 'payments', namespace: 'shop', generation: 1 });
    expect(put.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(put.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(put.headers.get('etag')).toBe(`"${put.body.metadata.resourceVersion}"`);

    const get = await callJson('GET', '/api/v1/namespaces/shop/serviceentries/payments');
    expect(get.status).toBe(200);
    expect(get.body.spec).toEqual(SE('payments').spec);
    expect(get.headers.get('etag')).toBe(put.headers.get('etag'));

    const other = await callJson('PUT', '/api/v1/namespaces/other/serviceentries/payments', { body: { ...SE('payments', 'payments.other.example.com'), metadata: { name: 'payments', namespace: 'other' } } });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const inShop = await callJson('GET', '/api/v1/namespaces/shop/serviceentries');
    expect(inShop.body.items.map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['shop/payments']);
    const all = await callJson('GET', '/api/v1/serviceentries');
    expect(all.body.kind).toBe('ServiceEntryList');
    expect(all.body.items.map((o: any) => o.metadata.namespace)).toEqual(['other', 'shop']);
  });

  it('takes YAML bodies and fills the namespace from the URL', async () => {
    const yaml = 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ledger\nspec:\n  hosts: [ledger.example.com]\n  resolution: DNS\n  ports:\n  - {number: 443, name: https, protocol: HTTPS}\n';
    const res = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/ledger', { body: yaml, contentType: 'application/yaml' });
    expect(res.status).toBe(201);
    expect(res.body.metadata.namespace).toBe('shop');
  });

  it('a write that changes nothing makes no revision and keeps the ETag', async () => {
    const first = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/same', { body: SE('same') });
    const revisions = await countRows('revisions');
    const again = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/same', { body: SE('same') });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await countRows('revisions')).toBe(revisions);
  });

  it('If-Match gives optimistic concurrency: a stale ETag is a 412 and stores nothing', async () => {
    const first = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/cas', { body: SE('cas') });
    const etag = first.headers.get('etag')!;
    const changed = SE('cas', 'cas2.example.com');
    const ok = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/cas', { body: changed, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.generation).toBe(2);
    const revisions = await countRows('revisions');
    const stale = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/cas', { body: SE('cas', 'cas3.example.com'), headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect(stale.body.detail).toContain('ServiceEntry/shop/cas');
    expect(await countRows('revisions')).toBe(revisions);
    const created = await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/cas', { body: SE('cas'), headers: { 'if-none-match': '*' } });
    expect(created.status).toBe(412);
  });

  it('PATCH: a merge patch and a JSON patch each move one weight', async () => {
    await apply(REVIEWS([80, 20], 'patch'));
    const path = '/api/v1/namespaces/patch/virtualservices/reviews';
    const host = 'reviews.patch.svc.cluster.local';
    const merge = await callJson('PATCH', path, {
      body: { spec: { http: [{ route: [{ destination: { host, subset: 'v1' }, weight: 50 }, { destination: { host, subset: 'v2' }, weight: 50 }] }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(merge.status).toBe(200);
    expect(merge.body.spec.http[0].route.map((r: any) => r.weight)).toEqual([50, 50]);
    const json = await callJson('PATCH', path, {
      body: [
        { op: 'replace', path: '/spec/http/0/route/0/weight', value: 10 },
        { op: 'replace', path: '/spec/http/0/route/1/weight', value: 90 },
      ],
      contentType: 'application/json-patch+json',
    });
    expect(json.status).toBe(200);
    expect(json.body.spec.http[0].route.map((r: any) => r.weight)).toEqual([10, 90]);
    const bad = await callJson('PATCH', path, { body: [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: -1 }], contentType: 'application/json-patch+json' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual({ path: 'spec.http[0].route[0].weight', message: 'must not be negative' });
    const wrongType = await call('PATCH', path, { body: '{}', contentType: 'text/plain' });
    expect(wrongType.status).toBe(415);
  });

  it('DELETE removes an object as a new revision; a second delete is a 404', async () => {
    await callJson('PUT', '/api/v1/namespaces/shop/serviceentries/gone', { body: SE('gone') });
    const del = await callJson('DELETE', '/api/v1/namespaces/shop/serviceentries/gone');
    expect(del.status).toBe(200);
    expect(del.body.changes).toEqual([{ kind: 'ServiceEntry', namespace: 'shop', name: 'gone', op: 'deleted' }]);
    expect((await call('GET', '/api/v1/namespaces/shop/serviceentries/gone')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/namespaces/shop/serviceentries/gone')).status).toBe(404);
  });

  it('refuses to delete what a route still needs (409, nothing stored)', async () => {
    await apply(REVIEWS([80, 20], 'needed'));
    const revisions = await countRows('revisions');
    const res = await callJson('DELETE', '/api/v1/namespaces/needed/destinationrules/reviews');
    expect(res.status).toBe(409);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ object: 'VirtualService/needed/reviews', message: expect.stringContaining('subset v1 is not defined') }));
    expect(await countRows('revisions')).toBe(revisions);
  });

  it('unknown resource types are 404s that say what exists', async () => {
    const res = await callJson('GET', '/api/v1/namespaces/shop/widgets/x');
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/^unknown resource type "widgets"; expected /);
    expect(res.body.detail).toContain('virtualservices');
    expect(res.body.detail).toContain('sidecars');
    // sidecars is a resource type (Sidecar, networking.istio.io): a missing one is a 404 naming the object.
    const sidecar = await callJson('GET', '/api/v1/namespaces/shop/sidecars/x');
    expect(sidecar.status).toBe(404);
    expect(sidecar.body.detail).toBe('Sidecar shop/x does not exist');
  });
});

describe('dryRun on single-object writes', () => {
  it('PUT, PATCH and DELETE with ?dryRun=true check everything and store nothing', async () => {
    await apply(REVIEWS([80, 20], 'dryobj'));
    const revisions = await countRows('revisions');
    const path = '/api/v1/namespaces/dryobj/virtualservices/reviews';
    const host = 'reviews.dryobj.svc.cluster.local';
    const patch = await callJson('PATCH', `${path}?dryRun=true`, { body: [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 10 }], contentType: 'application/json-patch+json' });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ dryRun: true, committed: false, changes: [{ op: 'updated' }] });
    expect(patch.body.object.spec.http[0].route[0].weight).toBe(10);
    const broken = await callJson('PUT', `${path}?dryRun=true`, { body: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: [host], http: [{ route: [{ destination: { host, subset: 'v7' } }] }] } } });
    expect(broken.status).toBe(409);
    const del = await callJson('DELETE', '/api/v1/namespaces/dryobj/destinationrules/reviews?dryRun=true');
    expect(del.status).toBe(409); // the VirtualService still needs its subsets
    const delVs = await callJson('DELETE', `${path}?dryRun=true`);
    expect(delVs.body).toMatchObject({ dryRun: true, changes: [{ op: 'deleted' }] });
    expect(await countRows('revisions')).toBe(revisions);
    expect((await callJson('GET', path)).body.spec.http[0].route[0].weight).toBe(80);
  });
});

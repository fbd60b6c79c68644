import { describe, expect, it } from 'vitest';
import { apply, callJson, countRows, REVIEWS } from './helpers';

describe('POST /api/v1/apply', () => {
  it('commits a multi-document YAML manifest as one revision', async () => {
    const before = await countRows('revisions');
    const res = await apply(REVIEWS([80, 20], 'one'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ committed: true, dryRun: false, revision: before + 1 });
    expect(res.body.changes.map((c: any) => `${c.op} ${c.kind}`)).toEqual(['created ServiceEntry', 'created DestinationRule', 'created VirtualService']);
    expect(await countRows('revisions')).toBe(before + 1);
    const revision = await callJson('GET', `/api/v1/revisions/${before + 1}`);
    expect(revision.body).toMatchObject({ revision: before + 1, author: 'admin' });
    expect(revision.body.changes).toHaveLength(3);
  });

  it('takes a JSON list of objects; re-applying the same manifest commits nothing', async () => {
    const list = [
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api', namespace: 'json' }, spec: { hosts: ['api.example.com'], resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] } },
    ];
    expect((await apply(list)).status).toBe(201);
    const before = await countRows('revisions');
    const again = await apply(list);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ committed: false, changes: [{ op: 'unchanged' }] });
    expect(await countRows('revisions')).toBe(before);
  });

  it('dryRun stores nothing and returns the changes and the rendered Envoy resources', async () => {
    const before = await countRows('revisions');
    const objects = await countRows('objects');
    const res = await apply(REVIEWS([80, 20], 'dry'), '?dryRun=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ committed: false, dryRun: true, revision: null });
    const mesh = res.body.rendered['envoy|mesh'];
    expect(mesh.clusters.map((c: any) => c.name)).toContain('outbound|9080|v2|reviews.dry.svc.cluster.local');
    expect(mesh.routes[0]['@type']).toBe('type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
    expect(await countRows('revisions')).toBe(before);
    expect(await countRows('objects')).toBe(objects);
    expect((await callJson('GET', '/api/v1/namespaces/dry/virtualservices/reviews')).status).toBe(404);
  });

  it('is all or nothing: one bad object among good ones stores none of them', async () => {
    const objects = await countRows('objects');
    const revisions = await countRows('revisions');
    const manifest = REVIEWS([80, 20], 'atomic').replace('subset: v2}', 'subset: v3}');
    const res = await apply(manifest);
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([
      { path: 'spec.http[0].route[1].destination.subset', message: 'subset v3 is not defined by DestinationRule/atomic/reviews', object: 'VirtualService/atomic/reviews' },
    ]);
    expect(await countRows('objects')).toBe(objects);
    expect(await countRows('revisions')).toBe(revisions);
  });

  it('prune deletes objects of the selector that the manifest no longer holds', async () => {
    await apply(REVIEWS([80, 20], 'prune'));
    const onlyService = REVIEWS([80, 20], 'prune').split('---')[0]!;
    const res = await apply(onlyService, '?prune=true&labelSelector=app%3Dreviews');
    expect(res.status).toBe(201);
    expect(res.body.changes.filter((c: any) => c.op === 'deleted' && c.namespace === 'prune').map((c: any) => c.kind).sort()).toEqual(['DestinationRule', 'VirtualService']);
    const noSelector = await apply(onlyService, '?prune=true');
    expect(noSelector.status).toBe(400);
    expect(noSelector.body.errors).toEqual([{ path: 'labelSelector', message: 'required with prune=true' }]);
    const badSelector = await apply(onlyService, '?prune=true&labelSelector=app+in+(a,b)');
    expect(badSelector.status).toBe(400);
    expect(badSelector.body.errors[0].path).toBe('labelSelector');
  });

  it('a weight sum other than 100 is accepted with a Warning header and warnings in the body', async () => {
    const res = await apply(REVIEWS([30, 30], 'sum'));
    expect(res.status).toBe(201);
    expect(res.body.warnings).toContainEqual({ path: '[2].spec.http[0].route', message: 'weights sum to 60; each destination gets weight/sum' });
    expect(res.headers.get('warning')).toMatch(/^299 - ".*weights sum to 60; each destination gets weight\/sum"$/);
  });

  it('records CI metadata from request headers on the revision', async () => {
    const res = await callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'ci'), headers: { 'x-ci-run-id': 'run-42', 'x-ci-commit': 'abc123' } });
    const revision = await callJson('GET', `/api/v1/revisions/${res.body.revision}`);
    expect(revision.body.source).toMatchObject({ ciRunId: 'run-42', ciCommit: 'abc123' });
  });
});

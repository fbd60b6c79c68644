import { applyPatch, deepClone } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../xds';
import { RSA_CERT, RSA_KEY_PKCS1 } from '../support/tls-fixtures';
import { apply, call, callJson, REVIEWS } from './helpers';

const revision = (n: number, query = '') => callJson('GET', `/api/v1/revisions/${n}${query}`);
/** What a created object's patch must rebuild from `{}`: the object as written, without server metadata. */
const asWritten = (o: any) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace, labels: o.metadata.labels }, spec: o.spec });
const rebuilt = (from: object, patch: any[]) => applyPatch(deepClone(from), patch, true, false).newDocument;

describe('revision history', () => {
  it('revision 1 diffs against the empty config: every object created, each patch rebuilding it from {}', async () => {
    const first = await apply(REVIEWS([80, 20], 'first'));
    expect(first.body.revision).toBe(1);
    const { body } = await revision(1);
    expect(body.diff.intents.map((d: any) => [d.op, d.kind])).toEqual([
      ['created', 'DestinationRule'],
      ['created', 'ServiceEntry'],
      ['created', 'VirtualService'],
    ]);
    const vs = (await callJson('GET', '/api/v1/namespaces/first/virtualservices/reviews')).body;
    expect(rebuilt({}, body.diff.intents[2].patch)).toEqual(asWritten(vs));
    // Everything rendered is new.
    expect(body.diff.rendered.length).toBeGreaterThan(0);
    expect(new Set(body.diff.rendered.map((r: any) => r.op))).toEqual(new Set(['added']));
    expect(body.diff.rendered).toContainEqual({ view: 'envoy|mesh', type: RESOURCE_TYPES.routes, name: '9080', op: 'added' });
  });

  it('lists author, CI source and outcome; each revision diffs against the one before through create, update, delete and rollback', async () => {
    const ci = { 'x-ci-run-id': 'run-4711', 'x-ci-pipeline': 'https://ci.example.com/p/9', 'x-ci-commit': 'abc123', 'user-agent': 'pipeline/1.0' };
    const r1 = (await callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'hist'), headers: ci })).body.revision;
    const r2 = (await apply(REVIEWS([50, 50], 'hist'))).body.revision;
    expect((await call('DELETE', '/api/v1/namespaces/hist/virtualservices/reviews')).status).toBe(200);
    const r3 = r2 + 1;
    const r4 = (await callJson('POST', `/api/v1/revisions/${r1}/rollback`)).body.revision;
    expect(r4).toBe(r3 + 1);

    const list = await callJson('GET', '/api/v1/revisions?limit=4');
    expect(list.body.items.map((i: any) => i.revision)).toEqual([r4, r3, r2, r1]);
    expect(list.body.items[3]).toMatchObject({ author: 'admin', source: { ciRunId: 'run-4711', ciPipeline: 'https://ci.example.com/p/9', ciCommit: 'abc123', userAgent: 'pipeline/1.0' }, outcome: null });
    expect(list.body.items[3].configHash).toMatch(/^[0-9a-f]+$/);

    // Update: one replace per weight, and only the route configurations that carry the weights changed.
    const update = (await revision(r2)).body;
    expect(update.changes).toEqual([{ op: 'updated', kind: 'VirtualService', namespace: 'hist', name: 'reviews' }]);
    expect(update.diff.intents).toEqual([
      {
        op: 'updated',
        kind: 'VirtualService',
        namespace: 'hist',
        name: 'reviews',
        patch: expect.arrayContaining([
          { op: 'replace', path: '/spec/http/0/route/0/weight', value: 50 },
          { op: 'replace', path: '/spec/http/0/route/1/weight', value: 50 },
        ]),
      },
    ]);
    expect(update.diff.intents[0].patch).toHaveLength(2);
    expect(update.diff.rendered.map((r: any) => [r.view, r.type, r.name, r.op])).toEqual([
      ['envoy|mesh', RESOURCE_TYPES.routes, '9080', 'changed'],
      ['grpc|mesh', RESOURCE_TYPES.routes, 'reviews.hist.svc.cluster.local', 'changed'],
      ['grpc|mesh', RESOURCE_TYPES.routes, 'reviews.hist.svc.cluster.local:9080', 'changed'],
    ]);
    const weights = update.diff.rendered[0].patch.filter((p: any) => p.path.endsWith('/weight')).map((p: any) => p.value);
    expect(weights).toEqual([50, 50]);
    expect(update.diff).toMatchObject({ counts: { intents: 1, rendered: 3 }, truncated: false });

    // Delete: the patch empties the object.
    const deleted = (await revision(r3)).body.diff;
    expect(deleted.intents).toEqual([{ op: 'deleted', kind: 'VirtualService', namespace: 'hist', name: 'reviews', patch: expect.any(Array) }]);
    const before = (await revision(r2)).body.diff.intents[0];
    expect(rebuilt(rebuilt(rebuilt({}, (await revision(r1)).body.diff.intents[2].patch), before.patch), deleted.intents[0].patch)).toEqual({});

    // Rollback to r1: the VirtualService comes back as it was at r1.
    const back = (await revision(r4)).body;
    expect(back.source.rollbackTo).toBe(String(r1));
    expect(back.diff.intents.map((d: any) => [d.op, d.kind])).toEqual([['created', 'VirtualService']]);
    expect(rebuilt({}, back.diff.intents[0].patch).spec.http[0].route.map((r: any) => r.weight)).toEqual([80, 20]);

    const bare = (await revision(r2, '?diff=false')).body;
    expect(bare.diff).toBeUndefined();
    expect(bare).toMatchObject({ revision: r2, author: 'admin', outcome: null });
  });

  it('bounds the diff: a revision touching many objects is cut, and says so with the full counts', async () => {
    const entries = Array.from({ length: 110 }, (_, i) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: `ext-${i}`, namespace: 'many' },
      spec: { hosts: [`ext-${i}.example.com`], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] },
    }));
    const n = (await apply(entries)).body.revision;
    const { diff } = (await revision(n)).body;
    expect(diff.truncated).toBe(true);
    expect(diff.counts.intents).toBe(110);
    expect(diff.intents).toHaveLength(100);
    expect(diff.counts.rendered).toBeGreaterThan(200);
    expect(diff.rendered).toHaveLength(200);
  });

  it('shows a Secret by its public facts and digest, never its ciphertext or key', async () => {
    const indent = (pem: string) => pem.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
    const yaml = `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: web-cert, namespace: sec}\nstringData:\n  tls.crt: |\n${indent(RSA_CERT)}\n  tls.key: |\n${indent(RSA_KEY_PKCS1)}\n`;
    const put = await callJson('PUT', '/api/v1/namespaces/sec/secrets/web-cert', { body: yaml });
    expect(put.status).toBe(201);
    const head = (await callJson('GET', '/api/v1/revisions?limit=1')).body.items[0].revision;
    const { diff } = (await revision(head)).body;
    const shown = JSON.stringify(diff.intents);
    expect(diff.intents).toEqual([{ op: 'created', kind: 'Secret', namespace: 'sec', name: 'web-cert', patch: expect.any(Array) }]);
    expect(rebuilt({}, diff.intents[0].patch).spec).toMatchObject({ type: 'kubernetes.io/tls', digest: expect.any(String), certificate: expect.any(Object) });
    expect(shown).not.toContain('encrypted');
    expect(shown).not.toContain('PRIVATE KEY');
    expect(shown).not.toContain(RSA_KEY_PKCS1.split('\n')[1]);
  });

  it('refuses bad parameters with a 400 naming each one, and answers 404 for a revision that does not exist', async () => {
    for (const [path, field] of [
      ['/api/v1/revisions/1?diff=maybe', 'diff'],
      ['/api/v1/revisions/1?dif=false', 'dif'],
      ['/api/v1/revisions?limit=0', 'limit'],
      ['/api/v1/revisions?limit=501', 'limit'],
      ['/api/v1/revisions?before=x', 'before'],
      ['/api/v1/revisions/zero', 'revision'],
    ]) {
      const res = await callJson('GET', path!);
      expect(res.status, path).toBe(400);
      expect(res.body.errors.map((e: any) => e.path), path).toEqual([field]);
    }
    expect((await call('GET', '/api/v1/revisions/99999')).status).toBe(404);
  });
});

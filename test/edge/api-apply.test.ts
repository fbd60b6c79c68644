import { env } from 'cloudflare:test';
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

  it('?namespace= as kubectl apply -n: fills missing namespaces, refuses another, prunes only there', async () => {
    const noNamespace = REVIEWS([80, 20], 'nsq').replaceAll('namespace: nsq, ', '');
    const res = await apply(noNamespace, '?namespace=nsq');
    expect(res.status).toBe(201);
    expect(res.body.changes.map((c: any) => `${c.kind}/${c.namespace}`)).toEqual(['ServiceEntry/nsq', 'DestinationRule/nsq', 'VirtualService/nsq']);
    // The same selector in another namespace is out of this prune's reach.
    await apply(REVIEWS([80, 20], 'nsq-other'));
    const pruned = await apply(noNamespace.split('---')[0]!, '?namespace=nsq&prune=true&labelSelector=app%3Dreviews');
    expect(pruned.status).toBe(201);
    expect(pruned.body.changes.filter((c: any) => c.op === 'deleted').map((c: any) => `${c.kind}/${c.namespace}`).sort()).toEqual(['DestinationRule/nsq', 'VirtualService/nsq']);
    expect((await callJson('GET', '/api/v1/namespaces/nsq-other/virtualservices/reviews')).status).toBe(200);

    const conflict = await apply(REVIEWS([80, 20], 'nsq-other'), '?namespace=nsq');
    expect(conflict.status).toBe(400);
    expect(conflict.body.errors[0]).toEqual({ path: '[0].metadata.namespace', message: 'namespace "nsq-other" does not match the namespace "nsq" it is written to' });
    const bad = await apply(noNamespace, '?namespace=Not_A_Namespace');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'namespace', message: expect.stringContaining('DNS-1123 label') }]);
  });

  it('a weight sum other than 100 is accepted with a Warning header and warnings in the body', async () => {
    const res = await apply(REVIEWS([30, 30], 'sum'));
    expect(res.status).toBe(201);
    expect(res.body.warnings).toContainEqual({ path: '[2].spec.http[0].route', message: 'weights sum to 60; each destination gets weight/sum' });
    expect(res.headers.get('warning')).toMatch(/^299 - ".*weights sum to 60; each destination gets weight\/sum"$/);
  });

  it('warns, on a dry run and a write, that proxyless gRPC clients get another load balancer than a gRPC host asks for', async () => {
    const grpcHost = (lb: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ledger, namespace: grpclb}
spec:
  hosts: [ledger.grpclb.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints: [{address: 10.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ledger, namespace: grpclb}
spec:
  host: ledger.grpclb.svc.cluster.local
  trafficPolicy: {loadBalancer: ${lb}}
`;
    const message = 'proxyless gRPC clients reject LEAST_REQUEST (they take only ROUND_ROBIN and RING_HASH): their views give this host\'s clusters ROUND_ROBIN; Envoys get LEAST_REQUEST';
    const dry = await apply(grpcHost('{simple: LEAST_REQUEST}'), '?dryRun=true');
    expect(dry.body.warnings).toContainEqual({ object: 'DestinationRule/grpclb/ledger', path: 'spec.trafficPolicy.loadBalancer', message });
    const res = await apply(grpcHost('{simple: LEAST_REQUEST}'));
    expect(res.status).toBe(201);
    expect(res.body.warnings).toContainEqual({ object: 'DestinationRule/grpclb/ledger', path: 'spec.trafficPolicy.loadBalancer', message });
    expect(res.headers.get('warning')).toContain('proxyless gRPC clients reject LEAST_REQUEST');
    const maglev = await apply(grpcHost('{consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 65537}}}'));
    expect(maglev.body.warnings).toContainEqual({ object: 'DestinationRule/grpclb/ledger', path: 'spec.trafficPolicy.loadBalancer', message: expect.stringContaining('their views give this host\'s clusters RING_HASH; Envoys get MAGLEV') });
    // A host no gRPC port declares is left alone: Envoys are what call it.
    const http = await apply(grpcHost('{simple: LEAST_REQUEST}').replace('protocol: GRPC', 'protocol: HTTP').replaceAll('grpclb', 'httplb'));
    expect(http.body.warnings ?? []).not.toContainEqual(expect.objectContaining({ message: expect.stringContaining('proxyless gRPC') }));
  });

  it('records CI metadata from request headers on the revision', async () => {
    const res = await callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'ci'), headers: { 'x-ci-run-id': 'run-42', 'x-ci-commit': 'abc123' } });
    const revision = await callJson('GET', `/api/v1/revisions/${res.body.revision}`);
    expect(revision.body.source).toMatchObject({ ciRunId: 'run-42', ciCommit: 'abc123' });
  });
});

describe('Idempotency-Key', () => {
  const send = (key: string, manifest: string, token?: string) => callJson('POST', '/api/v1/apply', { body: manifest, headers: { 'idempotency-key': key }, ...(token ? { token } : {}) });

  it('a retried write returns the first answer and commits nothing new', async () => {
    const first = await send('ci-run-7-step-3', REVIEWS([80, 20], 'idem'));
    expect(first.status).toBe(201);
    // Meanwhile someone else changes the object; the retry must not undo that.
    await apply(REVIEWS([60, 40], 'idem'));
    const revisions = await countRows('revisions');
    const retry = await send('ci-run-7-step-3', REVIEWS([80, 20], 'idem'));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await countRows('revisions')).toBe(revisions);
    const vs = await callJson('GET', '/api/v1/namespaces/idem/virtualservices/reviews');
    expect(vs.body.spec.http[0].route.map((r: any) => r.weight)).toEqual([60, 40]);
  });

  it('the same key with a different request is a 422; failed requests are not remembered', async () => {
    await send('key-2', REVIEWS([80, 20], 'idem2'));
    const other = await send('key-2', REVIEWS([50, 50], 'idem2'));
    expect(other.status).toBe(422);
    const bad = await send('key-3', REVIEWS([0, 0], 'idem3'));
    expect(bad.status).toBe(400);
    const fixed = await send('key-3', REVIEWS([0, 0], 'idem3'));
    expect(fixed.status).toBe(400);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect((await callJson('POST', '/api/v1/apply', { body: REVIEWS([80, 20], 'idem4'), headers: { 'idempotency-key': 'bad key with spaces' } })).status).toBe(400);
  });
});

describe('Idempotency-Key while the first request runs', () => {
  it('answers 409 with Retry-After', async () => {
    const sha = async (s: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const manifest = REVIEWS([80, 20], 'pending');
    const hash = await sha(`POST /api/v1/apply\napplication/yaml\n${manifest}`);
    await env.DB.prepare('insert into idempotency_keys (caller, key, request_hash, created_at) values (?, ?, ?, ?)').bind(await sha('Bearer test-admin-token'), 'in-flight', hash, new Date().toISOString()).run();
    const res = await callJson('POST', '/api/v1/apply', { body: manifest, headers: { 'idempotency-key': 'in-flight' } });
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});

describe('concurrent writers', () => {
  it('never lose a write: each commits its own revision or is told to retry', async () => {
    const namespaces = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const results = await Promise.all(namespaces.map((ns) => apply(REVIEWS([80, 20], ns))));
    for (const r of results) {
      expect([201, 409]).toContain(r.status);
      if (r.status === 409) expect(r.body.detail).toMatch(/retry/);
    }
    for (const [i, r] of results.entries()) if (r.status === 409) expect((await apply(REVIEWS([80, 20], namespaces[i]!))).status).toBe(201);
    for (const ns of namespaces) expect((await callJson('GET', `/api/v1/namespaces/${ns}/virtualservices/reviews`)).status).toBe(200);
    const ids = (await env.DB.prepare('select id from revisions order by id').all<{ id: number }>()).results.map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });
});

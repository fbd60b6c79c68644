import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import type { Env } from '../../functions/env';
import { SECRET_TYPE_URL } from '../../xds';
import { CA_CERT, EC_CERT, EC_KEY_SEC1, OTHER_KEY_PKCS8, RSA_CERT, RSA_KEY_PKCS1 } from '../support/tls-fixtures';
import { apply, BASE, callJson, envoy, envoyNode } from './helpers';
import { MUTUAL_DR, SECRET_YAML } from './tls-manifests';

const putSecret = (name: string, ns = 'shop', ca = true) => callJson('PUT', `/api/v1/namespaces/${ns}/secrets/${name}`, { body: SECRET_YAML(name, ns, ca) });

async function token(name: string, scopes: string[]): Promise<string> {
  const res = await callJson('POST', '/api/v1/tokens', { body: { name, scopes } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token;
}

async function sdsPoll(names: string[], opts: { token?: string; version?: string; node?: object } = {}) {
  const node = { ...envoyNode('edge-1'), ...opts.node } as Record<string, any>;
  if (opts.token) node.metadata = { ...node.metadata, xds_token: opts.token };
  const body = { node, type_url: SECRET_TYPE_URL, resource_names: names, ...(opts.version ? { version_info: opts.version } : {}) };
  const res = await app.fetch(new Request(`${BASE}/v3/discovery:secrets`, { method: 'POST', headers: { host: 'xds_cluster', 'content-type': 'application/json' }, body: JSON.stringify(body) }), env, createExecutionContext());
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('secrets: Kubernetes TLS Secrets, encrypted at rest', () => {
  it('stores a Secret, reads back its certificate facts but never the key, and keeps no plaintext in D1', async () => {
    const put = await putSecret('shop-cert');
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'shop-cert', namespace: 'shop', labels: { team: 'payments' } }, keys: ['tls.crt', 'tls.key', 'ca.crt'] });
    const get = await callJson('GET', '/api/v1/namespaces/shop/secrets/shop-cert');
    expect(get.status).toBe(200);
    expect(get.body.certificate).toMatchObject({ subject: 'CN=shop.example.com,O=Example Inc,C=US', subjectAltNames: expect.arrayContaining(['DNS:shop.example.com']), notAfter: expect.stringMatching(/^2126-/) });
    const text = JSON.stringify(get.body);
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|encrypted|stringData/);
    expect((await callJson('GET', '/api/v1/secrets')).body.items.map((s: any) => s.metadata.name)).toEqual(['shop-cert']);
    expect((await callJson('GET', '/api/v1/namespaces/other/secrets')).body.items).toEqual([]);

    const keyLine = RSA_KEY_PKCS1.split('\n')[1]!;
    const rows = await env.DB.prepare(`select spec from objects where kind = 'Secret' union all select object from object_history where kind = 'Secret'`).all<{ spec: string }>();
    expect(rows.results.length).toBe(2);
    for (const r of rows.results) {
      expect(r.spec).not.toContain(keyLine);
      expect(r.spec).not.toContain('PRIVATE KEY');
      expect(r.spec).not.toContain(RSA_CERT.split('\n')[1]!);
      const stored = JSON.parse(r.spec);
      expect(stored.spec ?? stored).toMatchObject({ encrypted: { alg: 'AES-256-GCM' } });
    }

    // The same material again is no change (the ciphertext is kept); a new key pair is a revision.
    const again = await putSecret('shop-cert');
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(put.body.metadata.resourceVersion);
    const ec = await callJson('PUT', '/api/v1/namespaces/shop/secrets/shop-cert', { body: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'shop-cert' }, data: { 'tls.crt': btoa(EC_CERT), 'tls.key': btoa(EC_KEY_SEC1) } } });
    expect(ec.status, JSON.stringify(ec.body)).toBe(200);
    expect(ec.body.certificate.subject).toBe('CN=api.example.org');

    // History and rollback restore the encrypted blob of a past revision.
    const del = await callJson('DELETE', '/api/v1/namespaces/shop/secrets/shop-cert');
    expect(del.body.changes).toEqual([{ kind: 'Secret', namespace: 'shop', name: 'shop-cert', op: 'deleted' }]);
    expect((await callJson('GET', '/api/v1/namespaces/shop/secrets/shop-cert')).status).toBe(404);
    const rollback = await callJson('POST', `/api/v1/revisions/${put.body.metadata.resourceVersion}/rollback`);
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(201);
    expect((await callJson('GET', '/api/v1/namespaces/shop/secrets/shop-cert')).body.certificate.subject).toBe('CN=shop.example.com,O=Example Inc,C=US');
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const wrongKey = await callJson('PUT', '/api/v1/namespaces/shop/secrets/bad', { body: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'bad' }, data: { 'tls.crt': btoa(RSA_CERT), 'tls.key': btoa(OTHER_KEY_PKCS8) } } });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.errors).toEqual([{ path: 'data["tls.key"]', message: expect.stringContaining('does not belong to the certificate') }]);
    const notPem = await callJson('PUT', '/api/v1/namespaces/shop/secrets/bad', { body: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'bad' }, data: { 'tls.crt': btoa('hello'), 'tls.key': 'not base64!' } } });
    expect(notPem.body.errors.map((e: any) => e.path)).toEqual(['data["tls.key"]']);
    const opaque = await callJson('PUT', '/api/v1/namespaces/shop/secrets/bad', { body: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'other' }, data: {} } });
    expect(opaque.body.errors.map((e: any) => e.path)).toEqual(['type']);
    const count = await env.DB.prepare(`select count(*) as n from objects where kind = 'Secret' and name in ('bad', 'other')`).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it('says what is missing when SECRETS_KEY is not configured', async () => {
    const req = new Request(`${BASE}/api/v1/namespaces/shop/secrets/shop-cert`, { method: 'PUT', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/yaml' }, body: SECRET_YAML('shop-cert') });
    const ctx = createExecutionContext();
    const res = await app.fetch(req, { ...env, SECRETS_KEY: undefined } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).detail).toMatch(/^SECRETS_KEY is not configured/);
  });

  it('refuses (409) a credentialName with no Secret, a -cacert without ca.crt, and deleting a Secret in use', async () => {
    const missing = await apply(MUTUAL_DR('bank-client'));
    expect(missing.status).toBe(409);
    expect(missing.body.errors).toEqual([{ object: 'DestinationRule/shop/bank', path: 'spec.trafficPolicy.tls.credentialName', message: expect.stringContaining('no Secret shop/bank-client') }]);
    expect((await putSecret('bank-client', 'other')).status).toBe(201);
    expect((await apply(MUTUAL_DR('bank-client'))).status).toBe(409); // in another namespace: not found, as in Istio

    expect((await putSecret('bank-client', 'shop', false)).status).toBe(201);
    const noCa = await apply(MUTUAL_DR('bank-client'));
    expect(noCa.status).toBe(409);
    expect(noCa.body.errors[0].message).toContain('has no ca.crt');

    expect((await putSecret('bank-client')).status).toBe(200);
    expect((await apply(MUTUAL_DR('bank-client'))).status).toBe(201);
    const del = await callJson('DELETE', '/api/v1/namespaces/shop/secrets/bank-client');
    expect(del.status).toBe(409);
    expect(del.body.errors[0]).toMatchObject({ object: 'DestinationRule/shop/bank', path: 'spec.trafficPolicy.tls.credentialName' });
  });
});

describe('secrets over REST SDS', () => {
  it("a Gateway's credentialName is looked up in its proxy's namespace, as in Istio (409 when no namespace has it), and only its proxies get the Secret", async () => {
    // istio.io's secure ingress: the Secret in istio-system, where the ingress proxy runs; the Gateway in default.
    const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: edge}
spec:
  selector: {istio: ingress}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-tls}
`;
    const missing = await apply(gateway);
    expect(missing.status).toBe(409);
    expect(missing.body.errors).toEqual([{ object: 'Gateway/edge/ingress', path: 'spec.servers[0].tls.credentialName', message: expect.stringContaining('no Secret named shop-tls in any namespace') }]);
    expect((await putSecret('shop-tls', 'istio-gw')).status).toBe(201);
    expect((await apply(gateway)).status).toBe(201);

    const reader = await token('ingress-sds', ['secrets:read']);
    const poll = (namespace?: string, labels: Record<string, string> = { istio: 'ingress' }) =>
      sdsPoll(['kubernetes://shop-tls'], { token: reader, node: { metadata: { labels, ...(namespace ? { NAMESPACE: namespace } : {}) } } });
    const ingress = await poll('istio-gw');
    expect(ingress.status).toBe(200);
    expect(ingress.body.resources.map((r: any) => r.name)).toEqual(['kubernetes://shop-tls']);
    envoy().decodeStrict(ingress.body.resources[0]);
    // A proxy of the Gateway in another namespace has no such Secret; one sending no namespace looks in the Gateway's (edge).
    expect((await poll('elsewhere')).body.resources).toEqual([]);
    expect((await poll()).body.resources).toEqual([]);
    expect((await putSecret('shop-tls', 'edge')).status).toBe(201);
    expect((await poll()).body.resources.map((r: any) => r.name)).toEqual(['kubernetes://shop-tls']);
    // A sidecar's view has no such listener: it gets nothing, even in the Secret's namespace.
    expect((await poll('istio-gw', {})).body.resources).toEqual([]);

    // Each namespace's proxies share a view of their own, so a bridge gets each its namespace's Secret.
    const bulk = await callJson('POST', '/api/v1/snapshots', { token: await token('bridge-gw', ['xds:read', 'secrets:read']), body: { nodes: [{ user_agent_name: 'envoy', labels: { istio: 'ingress' }, namespace: 'istio-gw' }, { user_agent_name: 'envoy', labels: { istio: 'ingress' }, namespace: 'elsewhere' }] } });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
    expect(bulk.body.views).toEqual(['envoy|gw:edge/ingress|ns:istio-gw', 'envoy|gw:edge/ingress|ns:elsewhere']);
    const bulkNames = (view: string) => bulk.body.snapshots[view].types[SECRET_TYPE_URL].resources.map((r: any) => r.name);
    expect(bulkNames('envoy|gw:edge/ingress|ns:istio-gw')).toContain('kubernetes://shop-tls');
    expect(bulkNames('envoy|gw:edge/ingress|ns:elsewhere')).not.toContain('kubernetes://shop-tls');

    // The last Secret of that name is still in use: deleting it is refused; one of two is not.
    expect((await callJson('DELETE', '/api/v1/namespaces/edge/secrets/shop-tls')).status).toBe(200);
    const inUse = await callJson('DELETE', '/api/v1/namespaces/istio-gw/secrets/shop-tls');
    expect(inUse.status).toBe(409);
    expect(inUse.body.errors[0]).toMatchObject({ object: 'Gateway/edge/ingress', path: 'spec.servers[0].tls.credentialName' });
  });

  it('serves exactly the requested secret to a token with secrets:read, never anonymously, never unreferenced ones', async () => {
    expect((await putSecret('sds-client', 'sds')).status).toBe(201);
    expect((await putSecret('unused', 'sds')).status).toBe(201);
    expect((await apply(MUTUAL_DR('sds-client', 'sds'))).status).toBe(201);

    // Anonymous xDS reads are allowed in these tests (ALLOW_ANONYMOUS_XDS=true), secrets still are not.
    expect((await sdsPoll(['kubernetes://sds-client'])).status).toBe(401);
    const xdsOnly = await token('poller', ['xds:read']);
    expect((await sdsPoll(['kubernetes://sds-client'], { token: xdsOnly })).status).toBe(403);

    const reader = await token('gateway-sds', ['xds:read', 'secrets:read']);
    const cert = await sdsPoll(['kubernetes://sds-client'], { token: reader });
    expect(cert.status).toBe(200);
    expect(cert.body.type_url).toBe(SECRET_TYPE_URL);
    expect(cert.body.resources.map((r: any) => r.name)).toEqual(['kubernetes://sds-client']);
    envoy().decodeStrict(cert.body.resources[0]); // Envoy's own protos: unknown fields or wrong types throw
    expect(envoy().validate(cert.body.resources[0])).toEqual([]);
    expect(atob(cert.body.resources[0].tls_certificate.private_key.inline_bytes)).toBe(RSA_KEY_PKCS1.trimEnd() + '\n');
    expect(cert.body.version_info).not.toContain(RSA_KEY_PKCS1.split('\n')[1]!.slice(0, 8));

    const ca = await sdsPoll(['kubernetes://sds-client-cacert'], { token: reader });
    expect(ca.body.resources).toEqual([{ '@type': SECRET_TYPE_URL, name: 'kubernetes://sds-client-cacert', validation_context: { trusted_ca: { inline_bytes: btoa(CA_CERT.trimEnd() + '\n') } } }]);
    expect((await sdsPoll(['kubernetes://sds-client'], { token: reader, version: cert.body.version_info })).status).toBe(304);
    // Stored but referenced by nothing this proxy gets: not served.
    expect((await sdsPoll(['kubernetes://unused'], { token: reader })).body.resources).toEqual([]);
  });

  it('gives a bridge with secrets:read the secrets of each view in its bulk snapshot, and one without none', async () => {
    expect((await putSecret('bulk-client', 'bulk')).status).toBe(201);
    expect((await apply(MUTUAL_DR('bulk-client', 'bulk'))).status).toBe(201);
    const bulk = async (t: string) =>
      (await callJson('POST', '/api/v1/snapshots', { token: t, body: { nodes: [{ user_agent_name: 'envoy' }] } })).body;
    const plain = await bulk(await token('bridge-plain', ['xds:read']));
    const withSecrets = await bulk(await token('bridge-sds', ['xds:read', 'secrets:read']));
    const view = withSecrets.views[0];
    expect(plain.snapshots[view].types[SECRET_TYPE_URL]).toBeUndefined();
    expect(withSecrets.snapshots[view].types[SECRET_TYPE_URL].resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['kubernetes://bulk-client', 'kubernetes://bulk-client-cacert']));
    expect(withSecrets.snapshots[view].version).not.toBe(plain.snapshots[view].version);
  });
});

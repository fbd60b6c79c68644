import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_LEASE_MS } from '../../functions/http/idempotency';
import { sha256Hex } from '../../functions/domain/auth/tokens';
import { D1_MAX_BATCH_STATEMENTS, D1_MAX_ROW_BYTES } from '../../functions/domain/config/d1-limits';
import { MAX_PARAM_BYTES } from '../../functions/domain/config/json-batches';
import { decryptMaterial, secretKeyRing } from '../../functions/domain/secrets/crypto';
import type { StoredSecretSpec } from '../../functions/domain/secrets/stored';
import { deliverDue } from '../../functions/events/deliver';
import { keyIdOf } from '../../functions/events/secret-store';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { countingD1 } from './counting-bindings';
import { edgeFetch } from './edge-fetch';
import { ADMIN, BASE, callJson, countRows, envoyNode, poll } from './helpers';
import { SECRET_YAML } from './tls-manifests';

/** The rest of issue 13 part 2: production limits, idempotency after faults and auth, status, revocation, webhook targets, key rotation. */

const NS = 'limits';
const SE = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: NS, ...(Object.keys(annotations).length ? { annotations } : {}) },
  spec: { hosts: [`${name}.${NS}.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1' }] },
});
const sePath = (name: string) => `/api/v1/namespaces/${NS}/serviceentries/${name}`;
const stored = async () => [await countRows('revisions'), await countRows('objects'), await countRows('object_history')];

/** The oracle: no 5xx, problem+json naming the field or the limit, nothing stored. */
async function refused(send: () => Promise<{ status: number; body: any; headers: Headers }>, status: number, named: RegExp) {
  const before = await stored();
  const res = await send();
  expect(res.status, JSON.stringify(res.body)?.slice(0, 500)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(JSON.stringify([res.body.detail, res.body.errors ?? []])).toMatch(named);
  expect(await stored()).toEqual(before);
  return res.body;
}

const request = (method: string, path: string, init: { token?: string | null; body?: BodyInit; contentType?: string; headers?: Record<string, string> } = {}) => {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? ADMIN : init.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  return new Request(BASE + path, { method, headers, ...(init.body !== undefined ? { body: init.body, duplex: 'half' } : {}) } as RequestInit);
};
const json = async (res: Response) => {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
};

/** A chunked body of `total` bytes made as it is read; `pulled()` says how much was. */
function chunkedBody(total: number, chunk = 64 * 1024) {
  let pulled = 0;
  const bytes = new Uint8Array(chunk).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += chunk;
      controller.enqueue(bytes);
    },
  });
  return { stream, pulled: () => pulled };
}

async function createToken(name: string, scopes: string[]): Promise<string> {
  const res = await callJson('POST', '/api/v1/tokens', { body: { name, scopes } });
  expect(res.status).toBe(201);
  return res.body.token;
}

describe('production limits are enforced locally, the limit named', () => {
  it("refuses an object whose stored row passes D1's 2 MB (non-ASCII text within the character limit), naming the object", async () => {
    // 700,000 characters pass the 1 MiB-per-object check, but are 2.1 MB as UTF-8, which is what D1 counts.
    const big = SE('wide', { note: '€'.repeat(700_000) });
    const body = await refused(() => callJson('POST', '/api/v1/apply', { body: [big] }), 413, new RegExp(`${D1_MAX_ROW_BYTES} bytes`));
    expect(body.errors[0].object).toBe(`ServiceEntry/${NS}/wide`);
  });

  it(`commits a 5,000-object apply as one batch of a few statements (at most ${D1_MAX_BATCH_STATEMENTS}), each value under D1's 2 MB`, async () => {
    const d1 = countingD1(env.DB);
    const objects = Array.from({ length: 5000 }, (_, i) => SE(`bulk-${i}`, { note: 'é'.repeat(150) }));
    // The one-shot commit (commit.ts): past APPLY_BATCH_OBJECTS an apply is staged and batched (staged-apply.test covers that).
    const res = await json(await edgeFetch(request('POST', '/api/v1/apply', { body: JSON.stringify(objects) }), { DB: d1.db, APPLY_BATCH_OBJECTS: '10000' }));
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    const inserts = d1.counts.statements.filter((s) => /^\s*INSERT INTO (objects|object_history)/.test(s));
    // ~1.6 MB of objects as UTF-8: two or three megabyte values per table, not a statement per object.
    expect(inserts.length).toBeGreaterThanOrEqual(4);
    expect(inserts.length).toBeLessThan(12);
    expect(d1.counts.writes).toBeLessThan(40);
    expect(MAX_PARAM_BYTES).toBeLessThan(D1_MAX_ROW_BYTES);
  }, 120_000);

  it('answers an anonymous chunked 100 MB body with 401 without reading it', async () => {
    const body = chunkedBody(100 * 1024 * 1024);
    const res = await json(await edgeFetch(request('POST', '/api/v1/apply', { token: null, body: body.stream, headers: { 'idempotency-key': 'k1' } })));
    expect(res.status).toBe(401);
    expect(body.pulled()).toBeLessThan(1024 * 1024);
  });

  it('reads a chunked body only up to its limit, Idempotency-Key or not (413 naming the limit)', async () => {
    for (const headers of [{ 'idempotency-key': 'big-1' }, {} as Record<string, string>]) {
      const body = chunkedBody(100 * 1024 * 1024);
      await refused(async () => json(await edgeFetch(request('PUT', sePath('chunked'), { body: body.stream, headers }))), 413, /exceeds 1048576 bytes/);
      expect(body.pulled()).toBeLessThan(3 * 1024 * 1024);
    }
  });
});

describe('idempotency after faults and auth', () => {
  it('takes over the key of a write that died: its lease ran out', async () => {
    const key = 'crashed-1';
    const send = () => callJson('PUT', sePath('crashed'), { body: SE('crashed'), headers: { 'idempotency-key': key } });
    // What a write cut off by a crash leaves: a claim without an answer.
    const caller = await sha256Hex(`Bearer ${ADMIN}`);
    const requestHash = await sha256Hex(`PUT ${sePath('crashed')}\napplication/json\n${JSON.stringify(SE('crashed'))}`);
    const claim = (leaseUntil: string | null, createdAt = new Date()) =>
      env.DB.prepare('INSERT OR REPLACE INTO idempotency_keys (caller, key, request_hash, created_at, lease_until) VALUES (?1, ?2, ?3, ?4, ?5)').bind(caller, key, requestHash, createdAt.toISOString(), leaseUntil).run();
    await claim(new Date(Date.now() + IDEMPOTENCY_LEASE_MS).toISOString());
    expect((await send()).status).toBe(409);
    await claim(new Date(Date.now() - 1).toISOString());
    expect((await send()).status).toBe(201);
    const replay = await send();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // A claim from before leases (no lease_until) holds for one lease from its start, then is taken over.
    await claim(null);
    expect((await send()).status).toBe(409);
    await claim(null, new Date(Date.now() - IDEMPOTENCY_LEASE_MS - 1000));
    expect((await callJson('PUT', sePath('crashed'), { body: SE('crashed'), headers: { 'idempotency-key': key } })).status).toBe(200);
  });

  it('replays nothing to a revoked token: 401, not its earlier 201', async () => {
    const token = await createToken('revoked-writer', ['config:write']);
    const send = () => callJson('PUT', sePath('replayed'), { body: SE('replayed'), token, headers: { 'idempotency-key': 'r1' } });
    expect((await send()).status).toBe(201);
    expect((await send()).headers.get('idempotent-replayed')).toBe('true');
    expect((await callJson('DELETE', '/api/v1/tokens/revoked-writer')).status).toBe(204);
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
  });

  it('authenticates before judging anything else: no token and a bad Idempotency-Key is a 401', async () => {
    const res = await callJson('PUT', sePath('anon'), { body: SE('anon'), token: null, headers: { 'idempotency-key': 'bad key with spaces' } });
    expect(res.status).toBe(401);
    expect((await callJson('PUT', sePath('anon'), { body: SE('anon'), headers: { 'idempotency-key': 'bad key with spaces' } })).status).toBe(400);
  });
});

describe('one poller cannot blind status for everyone', () => {
  it('after 70 EDS polls with distinct long name lists from one node, other proxies still appear', async () => {
    forgetTrackedNodes();
    await callJson('POST', '/api/v1/apply', { body: [SE('status-se')] });
    const flushEveryPoll = (req: Request) => edgeFetch(req, { XDS_STATUS_FLUSH_MS: '0' });
    for (let i = 0; i < 70; i++) {
      const names = Array.from({ length: 1000 }, (_, j) => `outbound|80||poll-${i}-${j}-${'n'.repeat(80)}.${NS}.svc.cluster.local`);
      expect((await poll('endpoints', { node: envoyNode('greedy'), names }, flushEveryPoll)).status).toBeLessThan(500);
    }
    expect((await poll('clusters', { node: envoyNode('bystander') }, flushEveryPoll)).status).toBe(200);
    const listed = await callJson('GET', '/api/v1/proxies');
    const ids = listed.body.items.map((p: { nodeId?: string; node_id?: string; id?: string }) => p.nodeId ?? p.node_id ?? p.id);
    expect(ids).toContain('bystander');
    const row = await env.DB.prepare("SELECT length(CAST(versions AS BLOB)) AS n FROM proxies WHERE node_id = 'greedy'").first<{ n: number }>();
    expect(row!.n).toBeLessThan(D1_MAX_ROW_BYTES);
  }, 120_000);

  it("refuses a bridge's report whose proxy row would pass the bound, naming it", async () => {
    const token = await createToken('bridge-limits', ['status:write']);
    const labels = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`l${i}`, 'v'.repeat(2000)]));
    const proxy = { node_id: 'fat', view: 'envoy|mesh', last_seen: new Date().toISOString(), labels, types: {} };
    const before = await countRows('proxies');
    const res = await callJson('POST', '/api/v1/proxies/status', { body: { bridge: 'b1', proxies: [proxy] }, token });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('proxies[0]');
    expect(await countRows('proxies')).toBe(before);
  });
});

describe('revocation', () => {
  it('stops a token within TOKEN_RECHECK_MS in an isolate that did not revoke it', async () => {
    const token = await createToken('other-isolate', ['config:read']);
    const read = () => callJson('GET', `/api/v1/namespaces/${NS}/serviceentries`, { token });
    expect((await read()).status).toBe(200);
    // Revoked as another isolate revokes it (its statements, not this isolate's cache-clearing handler):
    // the workerd test harness runs one isolate, so the other one is played by D1 alone.
    await env.DB.batch([env.DB.prepare("DELETE FROM tokens WHERE name = 'other-isolate'"), env.DB.prepare('UPDATE auth_epoch SET version = version + 1 WHERE id = 1')]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await read()).status).toBe(401);
  });
});

describe('webhook targets are screened', () => {
  const screened = (req: Request) => edgeFetch(req, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://2130706433/hook',
    'http://localhost/hook',
    'http://hooks.localhost./hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://192.168.1.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s at registration, naming url, storing nothing', async (url) => {
    const before = (await env.DB.prepare('SELECT count(*) AS n FROM webhooks').first<{ n: number }>())!.n;
    const res = await json(await screened(request('PUT', '/api/v1/webhooks/screened', { body: JSON.stringify({ url }) })));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('url');
    expect((await env.DB.prepare('SELECT count(*) AS n FROM webhooks').first<{ n: number }>())!.n).toBe(before);
  });

  it('takes a public receiver, and refuses a private one again at delivery', async () => {
    expect((await json(await screened(request('PUT', '/api/v1/webhooks/public', { body: JSON.stringify({ url: 'https://hooks.example.com/x' }) })))).status).toBe(201);
    // Registered while the setting allowed it (the test env does), delivered after it was turned off.
    expect((await callJson('PUT', '/api/v1/webhooks/loopback', { body: { url: 'http://127.0.0.1:9/hook' } })).status).toBe(201);
    await env.DB.prepare("INSERT INTO deliveries (id, webhook, event, payload, status, attempts, next_attempt_at, created_at) VALUES ('d-screen', 'loopback', 'revision.converged', '{}', 'pending', 0, '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z')").run();
    let called = 0;
    await deliverDue({ ...env, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' }, { fetcher: async () => (called++, new Response(null, { status: 204 })) });
    const row = await env.DB.prepare("SELECT status, last_error FROM deliveries WHERE id = 'd-screen'").first<{ status: string; last_error: string }>();
    expect(called).toBe(0);
    expect(row).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/127\.0\.0\.1 is a loopback address/) });
  });
});

describe('SECRETS_KEY rotation', () => {
  const NEW_KEY = 'HPJGveeLtWw7+9+s4YSM+lwE1A6GTMNN86MAxmdUjfI=';
  const rotating = { SECRETS_KEY: NEW_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY };
  const rotated = { SECRETS_KEY: NEW_KEY, SECRETS_KEY_PREVIOUS: undefined };
  const specOf = async (ns: string, name: string) => JSON.parse((await env.DB.prepare("SELECT spec FROM objects WHERE kind = 'Secret' AND namespace = ?1 AND name = ?2").bind(ns, name).first<{ spec: string }>())!.spec) as StoredSecretSpec;

  it('reads Secrets and webhook secrets with SECRETS_KEY_PREVIOUS, and re-encrypts them under SECRETS_KEY', async () => {
    expect((await callJson('PUT', '/api/v1/namespaces/rotate/secrets/cert', { body: SECRET_YAML('cert', 'rotate') })).status).toBe(201);
    expect((await callJson('PUT', '/api/v1/webhooks/rotating', { body: { url: 'http://127.0.0.1:9/hook' } })).status).toBe(201);
    const before = await specOf('rotate', 'cert');
    // Under the new key alone, what the old one encrypted is unreadable (a 503 naming both key ids, never a 500).
    await expect(decryptMaterial(await secretKeyRing({ ...env, ...rotated }), 'rotate/cert', before.encrypted)).rejects.toThrow(/SECRETS_KEY_PREVIOUS/);
    // With both, it reads; the re-encryption makes one revision and then nothing is left to do.
    expect((await decryptMaterial(await secretKeyRing({ ...env, ...rotating }), 'rotate/cert', before.encrypted))['tls.key']).toContain('PRIVATE KEY');
    const first = await json(await edgeFetch(request('POST', '/api/v1/secrets/reencrypt'), rotating));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ committed: true, reencrypted: expect.arrayContaining(['rotate/cert']) });
    const again = await json(await edgeFetch(request('POST', '/api/v1/secrets/reencrypt'), rotating));
    expect(again.body).toMatchObject({ committed: false, reencrypted: [] });
    const after = await specOf('rotate', 'cert');
    expect(after.encrypted.keyId).toBe(first.body.keyId);
    expect((await decryptMaterial(await secretKeyRing({ ...env, ...rotated }), 'rotate/cert', after.encrypted))['tls.crt']).toContain('CERTIFICATE');

    // Webhook secrets: re-encrypted when first read for a delivery.
    await env.DB.prepare("INSERT INTO deliveries (id, webhook, event, payload, status, attempts, next_attempt_at, created_at) VALUES ('d-rotate', 'rotating', 'revision.converged', '{}', 'pending', 0, '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z')").run();
    await deliverDue({ ...env, ...rotating }, { fetcher: async () => new Response(null, { status: 204 }) });
    expect((await env.DB.prepare("SELECT status FROM deliveries WHERE id = 'd-rotate'").first<{ status: string }>())!.status).toBe('delivered');
    const cipher = (await env.DB.prepare("SELECT secret_cipher FROM webhooks WHERE name = 'rotating'").first<{ secret_cipher: string }>())!.secret_cipher;
    expect(keyIdOf(cipher)).toBe(first.body.keyId);
  });
});

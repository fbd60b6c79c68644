import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, call, callJson } from './helpers';
import { ResponseChecker, type OpenApi } from './openapi-support';

type Json = Record<string, any>;
const SECRET = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const put = (name: string, body: unknown, token?: string) => callJson('PUT', `/api/v1/webhooks/${name}`, { body: body as object, contentType: 'application/json', ...(token ? { token } : {}) });
const stored = (name: string) => env.DB.prepare('select * from webhooks where name = ?').bind(name).first<Json>();

describe('webhook registry', () => {
  it('creates a webhook with a generated whsec_ secret, shown once and stored encrypted', async () => {
    const res = await put('ci-hook', { url: 'https://ci.example.com/hooks/xdsflare', events: ['revision.rejected', 'revision.converged'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/v1/webhooks/ci-hook');
    // Listed in the order the event types are declared, whatever order was sent.
    expect(res.body).toEqual({ name: 'ci-hook', url: 'https://ci.example.com/hooks/xdsflare', events: ['revision.converged', 'revision.rejected'], createdAt: expect.any(String), updatedAt: expect.any(String), secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) });
    const secret = res.body.secret as string;
    expect(atob(secret.slice('whsec_'.length))).toHaveLength(32);

    const row = await stored('ci-hook');
    expect(row!.secret_cipher).not.toContain(secret.slice(6));
    expect(JSON.parse(row!.secret_cipher)).toMatchObject({ alg: 'AES-256-GCM', iv: expect.any(String), data: expect.any(String) });

    // Reads never show it.
    const one = await callJson('GET', '/api/v1/webhooks/ci-hook');
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await callJson('GET', '/api/v1/webhooks')).body)).not.toContain('whsec_');
  });

  it('keeps the secret on an update without one, takes a given one, and changes nothing on a repeated PUT', async () => {
    expect((await put('keep', { url: 'https://a.example/hook', secret: SECRET })).status).toBe(201);
    const first = await stored('keep');
    // Same body again: nothing changes, not even updatedAt or the ciphertext.
    const again = await put('keep', { url: 'https://a.example/hook', secret: SECRET });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('secret');
    expect(await stored('keep')).toEqual(first);

    const moved = await put('keep', { url: 'http://b.example:8080/hook', events: ['rollout.aborted'] });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ url: 'http://b.example:8080/hook', events: ['rollout.aborted'] });
    expect(moved.body).not.toHaveProperty('secret');
    expect((await stored('keep'))!.secret_cipher).toBe(first!.secret_cipher);
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ url: 'ftp://ci.example.com/hook' }, 'url', /http:\/\/ or https:\/\//],
      [{ url: 'not a url' }, 'url', /absolute/],
      [{}, 'url', /required|expected string/i],
      [{ url: 'https://ok.example', events: ['revision.converged', 'revision.merged'] }, 'events[1]', /revision\.converged/],
      [{ url: 'https://ok.example', secret: 'hunter2' }, 'secret', /whsec_/],
      [{ url: 'https://ok.example', secret: 'whsec_c2hvcnQ=' }, 'secret', /24 to 64/],
      [{ url: 'https://ok.example', secret: 'whsec_not base64!' }, 'secret', /whsec_/],
      [{ url: 'https://ok.example', extra: true }, 'extra', /.+/],
    ];
    for (const [body, path, message] of cases) {
      const res = await put('bad-hook', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors, JSON.stringify(body)).toContainEqual({ path, message: expect.stringMatching(message) });
    }
    const badName = await put('Bad_Name', { url: 'https://ok.example' });
    expect(badName.status).toBe(400);
    expect(badName.body.errors[0].path).toBe('name');
    const notJson = await callJson('PUT', '/api/v1/webhooks/bad-hook', { body: 'url: https://ok.example', contentType: 'text/plain' });
    expect(notJson.status).toBe(415);
    expect(await stored('bad-hook')).toBeNull();
  });

  it('lists, deletes (with its deliveries) and 404s unknown webhooks', async () => {
    expect((await put('gone', { url: 'https://gone.example/hook' })).status).toBe(201);
    await env.DB.prepare("insert into deliveries (id, webhook, event, payload, status, attempts, next_attempt_at, created_at) values ('msg_gone1', 'gone', 'rollout.step', '{}', 'failed', 3, null, '2026-01-01T00:00:00.000Z')").run();
    const list = await callJson('GET', '/api/v1/webhooks');
    expect(list.body.items.map((w: Json) => w.name)).toContain('gone');
    const deliveries = await callJson('GET', '/api/v1/webhooks/gone/deliveries');
    expect(deliveries.body.items).toEqual([{ id: 'msg_gone1', event: 'rollout.step', status: 'failed', attempts: 3, lastStatus: null, lastError: null, createdAt: '2026-01-01T00:00:00.000Z', deliveredAt: null, nextAttemptAt: null }]);
    expect((await callJson('GET', '/api/v1/webhooks/gone/deliveries?status=sent')).status).toBe(400);

    expect((await callJson('DELETE', '/api/v1/webhooks/gone')).status).toBe(204);
    expect(await env.DB.prepare("select count(*) as n from deliveries where webhook = 'gone'").first('n')).toBe(0);
    for (const [method, path] of [['GET', '/api/v1/webhooks/gone'], ['DELETE', '/api/v1/webhooks/gone'], ['GET', '/api/v1/webhooks/gone/deliveries']] as const) {
      const res = await callJson(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it('needs the admin scope', async () => {
    const token = (await callJson('POST', '/api/v1/tokens', { body: { name: 'hook-writer', scopes: ['config:write', 'config:read'] } })).body.token as string;
    expect((await put('scoped', { url: 'https://x.example' }, token)).status).toBe(403);
    expect((await callJson('GET', '/api/v1/webhooks', { token })).status).toBe(403);
    expect((await callJson('GET', '/api/v1/webhooks', { token: null })).status).toBe(401);
    expect(await stored('scoped')).toBeNull();
  });

  it('answers as /openapi.json documents, successes and problems alike', async () => {
    const checker = new ResponseChecker((await (await SELF.fetch(`${BASE}/openapi.json`)).json()) as OpenApi);
    const ONE = '/api/v1/webhooks/{name}';
    const check = async (method: 'get' | 'put' | 'delete', path: string, url: string, body: object | undefined, status: number) => {
      const res = await call(method.toUpperCase(), url, body ? { body, contentType: 'application/json' } : {});
      expect(res.status, `${method} ${url}`).toBe(status);
      return checker.expectDocumented(method, path, res);
    };
    expect((await check('put', ONE, '/api/v1/webhooks/documented', { url: 'https://doc.example/hook' }, 201)).secret).toMatch(/^whsec_/);
    await check('put', ONE, '/api/v1/webhooks/documented', { url: 'https://doc.example/hook', events: ['rollout.step'] }, 200);
    await check('put', ONE, '/api/v1/webhooks/documented', { url: 'gopher://doc.example' }, 400);
    await check('get', ONE, '/api/v1/webhooks/documented', undefined, 200);
    await check('get', '/api/v1/webhooks', '/api/v1/webhooks', undefined, 200);
    await env.DB.prepare("insert into deliveries (id, webhook, event, payload, status, attempts, next_attempt_at, last_status, last_error, created_at) values ('msg_doc1', 'documented', 'rollout.step', '{}', 'pending', 1, '2030-01-01T00:00:00.000Z', 503, 'HTTP 503', '2026-01-01T00:00:00.000Z')").run();
    expect((await check('get', `${ONE}/deliveries`, '/api/v1/webhooks/documented/deliveries?status=pending&limit=5', undefined, 200)).items).toHaveLength(1);
    await check('get', `${ONE}/deliveries`, '/api/v1/webhooks/documented/deliveries?limit=0', undefined, 400);
    await check('delete', ONE, '/api/v1/webhooks/documented', undefined, 204);
    await check('get', ONE, '/api/v1/webhooks/documented', undefined, 404);
  });
});

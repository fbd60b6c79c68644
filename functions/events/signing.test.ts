import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { deliverDue, retryDelayMs } from './deliver';
import { deliveryStatements } from '../domain/events/outbox';
import { generateSecret, signedHeaders, signPayload } from './signing';
import { callJson } from '../../test/edge/helpers';

type Json = Record<string, any>;
// whsec_ + base64 of the bytes 0..31; the expected signature was computed apart, with Node's crypto.createHmac.
const SECRET = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const ID = 'msg_0123456789abcdef0123456789abcdef';
const BODY = '{"id":"msg_0123456789abcdef0123456789abcdef","type":"revision.converged","createdAt":"2026-01-02T03:04:05.000Z","data":{"revision":7}}';
const TIMESTAMP = 1767323045;

describe('Standard Webhooks signatures', () => {
  it('signs id.timestamp.body with HMAC-SHA256 under the decoded whsec_ key', async () => {
    expect(await signPayload(SECRET, ID, TIMESTAMP, BODY)).toBe('v1,zKgrRj1oIo0vCmfDGT0X1MAoRshnvU8PRFABTiDoON4=');
    // The reference implementation agrees.
    expect(await signPayload(SECRET, ID, TIMESTAMP, BODY)).toBe(new Webhook(SECRET).sign(ID, new Date(TIMESTAMP * 1000), BODY));
  });

  it('sends headers the reference implementation verifies, and that fail on a changed body', async () => {
    const secret = generateSecret();
    const headers = await signedHeaders(secret, ID, 'revision.converged', BODY);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': ID, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'x-xdsflare-event': 'revision.converged' });
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(secret).verify(BODY.replace('7', '8'), headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(BODY, headers)).toThrow();
  });

  it('backs off exponentially with jitter, capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(3000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(5000);
    expect(retryDelayMs(30, 1000, () => 0.5)).toBe(600_000);
  });
});

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver that answers each request with the next of `answers` (a Response, or an Error to throw). */
function receiver(answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    sent.push({ url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
    const next = answers.shift() ?? new Response('ok');
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { sent, fetcher };
}

async function queue(name: string, data: Json = { rollout: 1 }): Promise<string> {
  const statements = await deliveryStatements(env, 'rollout.step', data);
  await env.DB.batch(statements);
  return (await env.DB.prepare("select id from deliveries where webhook = ? order by created_at desc limit 1").bind(name).first<string>('id'))!;
}
const row = (id: string) => env.DB.prepare('select * from deliveries where id = ?').bind(id).first<Json>();
/** Makes the delivery due now, as if its backoff had passed. */
const due = (id: string) => env.DB.prepare('update deliveries set next_attempt_at = ? where id = ?').bind(new Date(Date.now() - 1).toISOString(), id).run();
const clear = () => env.DB.batch([env.DB.prepare('delete from deliveries'), env.DB.prepare('delete from webhooks')]);

describe('delivering', () => {
  it('retries a failed delivery with the same webhook-id and body, each attempt signed, until a 2xx', async () => {
    await clear();
    expect((await callJson('PUT', '/api/v1/webhooks/retry', { body: { url: 'https://receiver.example/hook', secret: SECRET } })).status).toBe(201);
    const id = await queue('retry', { rollout: 9, step: 2 });
    const { sent, fetcher } = receiver([new Response('boom\n  at handler', { status: 500 }), new Response(null, { status: 204 })]);

    const before = Date.now();
    const next = await deliverDue(env, { fetcher, random: () => 0.5 });
    expect(sent).toHaveLength(1);
    const failed = await row(id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_status: 500, last_error: 'HTTP 500: boom at handler', delivered_at: null });
    // WEBHOOK_RETRY_BASE_MS (1 s in wrangler.toml) after the first failure; the next due time is returned for the alarm.
    expect(Date.parse(failed!.next_attempt_at)).toBeGreaterThanOrEqual(before + 1000);
    expect(next).toBe(Date.parse(failed!.next_attempt_at));
    // Not due yet: nothing is sent.
    await deliverDue(env, { fetcher });
    expect(sent).toHaveLength(1);

    await due(id);
    expect(await deliverDue(env, { fetcher })).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 2, last_status: 204, last_error: null, next_attempt_at: null, delivered_at: expect.any(String) });
    expect(sent).toHaveLength(2);
    for (const s of sent) {
      expect(s.url).toBe('https://receiver.example/hook');
      expect(s.headers['webhook-id']).toBe(id);
      expect(s.headers['x-xdsflare-event']).toBe('rollout.step');
      expect(new Webhook(SECRET).verify(s.body, s.headers)).toEqual({ id, type: 'rollout.step', createdAt: expect.any(String), data: { rollout: 9, step: 2 } });
    }
    expect(sent[1]!.body).toBe(sent[0]!.body);
    expect(sent[0]!.body).toBe((await row(id))!.payload);

    const listed = await callJson('GET', '/api/v1/webhooks/retry/deliveries');
    expect(listed.body.items).toEqual([{ id, event: 'rollout.step', status: 'delivered', attempts: 2, lastStatus: 204, lastError: null, createdAt: expect.any(String), deliveredAt: expect.any(String), nextAttemptAt: null }]);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS, at once on 410 Gone, and records network errors and redirects', async () => {
    await clear();
    await callJson('PUT', '/api/v1/webhooks/flaky', { body: { url: 'http://receiver.example/flaky', secret: SECRET } });
    const limited = { ...env, WEBHOOK_MAX_ATTEMPTS: '2' };

    let id = await queue('flaky');
    let r = receiver([new TypeError('connection refused'), new Response('moved', { status: 302, headers: { location: 'https://elsewhere.example' } })]);
    await deliverDue(limited, { fetcher: r.fetcher });
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1, last_status: null, last_error: 'could not connect: connection refused' });
    await due(id);
    await deliverDue(limited, { fetcher: r.fetcher });
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 2, last_status: 302, last_error: expect.stringContaining('redirects are not followed'), next_attempt_at: null });

    await clear();
    await callJson('PUT', '/api/v1/webhooks/gone', { body: { url: 'http://receiver.example/gone', secret: SECRET } });
    id = await queue('gone');
    r = receiver([new Response('', { status: 410 })]);
    await deliverDue(env, { fetcher: r.fetcher });
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1, last_status: 410 });
  });

  it('waits at least what Retry-After asks', async () => {
    await clear();
    await callJson('PUT', '/api/v1/webhooks/busy', { body: { url: 'http://receiver.example/busy', secret: SECRET } });
    const id = await queue('busy');
    const before = Date.now();
    await deliverDue(env, { fetcher: receiver([new Response('slow down', { status: 429, headers: { 'retry-after': '120' } })]).fetcher });
    expect(Date.parse((await row(id))!.next_attempt_at)).toBeGreaterThanOrEqual(before + 120_000);
  });
});

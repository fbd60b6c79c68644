import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from './client';
import type { Context } from './command';
import { CliError, EXIT } from './exit-codes';
import { waitForRevision } from './wait';

// The CLI's HTTP client against a scripted server on 127.0.0.1: retries keep the Idempotency-Key.

/** `cut`: the connection drops after the headers and part of the body. */
type Reply = { status: number; headers?: Record<string, string>; body?: string; cut?: boolean };
let server: Server;
let base: string;
let script: Reply[] = [];
let seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const reply = script.shift() ?? { status: 200, body: '{}' };
    if (reply.cut) {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"revision"');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body ?? '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const noSleep = async () => {};
const client = (over: Partial<ConstructorParameters<typeof Client>[0]> = {}) =>
  new Client({ server: base, token: 't0k', idempotencyKey: 'key-1', headers: { 'x-ci-run-id': '77' }, sleep: noSleep, ...over });
const setup = (...replies: Reply[]) => {
  script = replies;
  seen = [];
};

describe('CLI client', () => {
  it('retries a write on 503 with the same Idempotency-Key, then returns the answer', async () => {
    setup({ status: 503 }, { status: 502 }, { status: 201, body: '{"revision":4}' });
    const answer = await client().request('POST', '/api/v1/apply', { body: '[]' });
    expect(answer.status).toBe(201);
    expect(answer.text).toBe('{"revision":4}');
    expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(['key-1', 'key-1', 'key-1']);
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer t0k', 'x-ci-run-id': '77', 'content-type': 'application/json' });
  });

  it('gives a second write of the same invocation its own key', async () => {
    setup();
    const c = client();
    await c.request('POST', '/a', { body: '{}' });
    await c.request('POST', '/b', { body: '{}' });
    await c.request('GET', '/c');
    expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(['key-1', 'key-1-2', undefined]);
  });

  it('waits out a retried write that the edge says is still in progress (409 + Retry-After)', async () => {
    setup({ status: 503 }, { status: 409, headers: { 'retry-after': '1' }, body: '{"title":"Conflict"}' }, { status: 200 });
    expect((await client().request('POST', '/x', { body: '{}' })).status).toBe(200);
    expect(seen).toHaveLength(3);
  });

  it('does not retry a first 409: that is the server refusing the input', async () => {
    setup({ status: 409, headers: { 'retry-after': '1' }, body: '{"title":"Conflict","detail":"one active rollout"}' });
    await expect(client().request('POST', '/x', { body: '{}' })).rejects.toMatchObject({ code: EXIT.refused, message: 'Conflict (409): one active rollout' });
    expect(seen).toHaveLength(1);
  });

  it('gives up after its attempts with exit 1', async () => {
    setup({ status: 503 }, { status: 503 }, { status: 503 });
    await expect(client({ attempts: 3 }).request('GET', '/x')).rejects.toMatchObject({ code: EXIT.unexpected });
    expect(seen).toHaveLength(3);
  });

  it('retries network errors and then says which server it could not reach', async () => {
    let slept = 0;
    const closed = new Client({ server: 'http://127.0.0.1:9', idempotencyKey: 'k', attempts: 2, sleep: async () => void slept++ });
    const err = await closed.request('GET', '/healthz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ code: EXIT.unexpected, message: expect.stringContaining('cannot reach http://127.0.0.1:9') });
    expect(slept).toBe(1);
  });

  it('retries an answer whose connection drops half-way through the body, as any network error', async () => {
    setup({ status: 200, cut: true }, { status: 201, body: '{"revision":5}' });
    expect((await client().request('POST', '/api/v1/apply', { body: '[]' })).text).toBe('{"revision":5}');
    expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
    setup({ status: 200, cut: true }, { status: 200, cut: true });
    await expect(client({ attempts: 2 }).request('GET', '/api/v1/revisions/3/status')).rejects.toMatchObject({ code: EXIT.unexpected, message: expect.stringContaining(`lost the connection to ${base}`) });
  });

  it('exits 1, not 3, when a retried write is still in progress at the edge after the last attempt: it may yet commit', async () => {
    setup({ status: 503 }, { status: 409, headers: { 'retry-after': '1' }, body: '{"title":"Conflict","detail":"a request with this Idempotency-Key is still in progress; retry later"}' });
    const err = await client({ attempts: 2 }).request('POST', '/x', { body: '{}' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EXIT.unexpected, message: expect.stringContaining('still in progress') });
  });

  it('follows no redirect: fetch would turn a redirected write into a GET (and drop the token across origins)', async () => {
    setup({ status: 301, headers: { location: '/moved/api/v1/apply' } }, { status: 200, body: '{"revision":3}' });
    const err = await client().request('POST', '/api/v1/apply', { body: '[]' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EXIT.unexpected, message: expect.stringContaining('redirected POST /api/v1/apply to /moved/api/v1/apply') });
    expect(seen.map((r) => r.method)).toEqual(['POST']);
  });

  it("holds each waiting request under the 30 s a load balancer commonly allows (GCP's default; nginx and ALB cut at 60 s)", async () => {
    // What such a proxy does to a request the edge holds longer: a 504 after its timeout.
    const converged = '{"revision":3,"head":3,"phase":"converged","counts":{"converged":1,"rejected":0,"pending":0,"stale":0},"proxies":[]}';
    const held: number[] = [];
    const proxy = createServer((req, res) => {
      const wait = Number(new URL(req.url!, 'http://x').searchParams.get('wait'));
      held.push(wait);
      res.writeHead(wait >= 30 ? 504 : 200, { 'content-type': 'application/json' }).end(wait >= 30 ? '' : converged);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const out: string[] = [];
    const ctx = {
      client: new Client({ server: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, idempotencyKey: 'k', sleep: noSleep }),
      json: false,
      output: 'text',
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      env: {},
      cwd: '/',
      readStdin: async () => '',
      progress: (line: string) => out.push(line),
      wide: false,
      stdoutIsTTY: false,
    } satisfies Context;
    try {
      expect(await waitForRevision(ctx, 3, 10 * 60_000)).toBe(EXIT.ok);
      expect(held).toHaveLength(1);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('maps auth and not-found answers to their exit codes', async () => {
    setup({ status: 401, body: '{"title":"Unauthorized","detail":"invalid token"}' }, { status: 404, body: '{"title":"Not Found"}' });
    await expect(client().request('GET', '/x')).rejects.toMatchObject({ code: EXIT.auth });
    await expect(client().request('GET', '/y')).rejects.toMatchObject({ code: EXIT.notFound });
  });

  it('repeats list query parameters and drops absent ones', () => {
    expect(client().url('/api/v1/bootstrap', { node: 'n 1', label: ['a=b', 'c=d'], delta: false, dir: undefined, wait: 2.5 })).toBe(`${base}/api/v1/bootstrap?node=n+1&label=a%3Db&label=c%3Dd&wait=2.5`);
  });
});

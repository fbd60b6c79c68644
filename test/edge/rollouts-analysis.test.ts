import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callJson } from './helpers';
import { act, driver, host, read, request, revisionsOf, setUp, start, weightsAt } from './rollouts-support';

// The analysis state machine inside workerd, against a Prometheus HTTP API double: workerd tests run
// in the pool's isolate, which has no Prometheus to reach (and the sandboxed test run has loopback
// only, with nothing of ours listening). The double answers as Prometheus's /api/v1/query does. The
// real Prometheus, scraping a real exporter, judges rollouts in test/e2e/rollout-analysis.test.ts.

type Json = Record<string, any>;
const PROM = 'http://prometheus.test:9090';
let answer: (query: string) => Response | Promise<Response>;
let queries: string[] = [];

const vector = (value: string) => Response.json({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] } });

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
  queries = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== PROM) return real(input, init);
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer prom-token');
    queries.push(url.searchParams.get('query')!);
    return answer(url.searchParams.get('query')!);
  });
});
afterEach(() => vi.restoreAllMocks());

const withPort = (ns: string, subset: string) => ({ host: host(ns), subset, port: { number: 9080 } });
const analysed = (ns: string, metric: Json = {}, extra: Json = {}) =>
  request(ns, {
    stable: withPort(ns, 'v1'),
    candidate: withPort(ns, 'v2'),
    steps: [50, 100],
    analysis: { provider: { url: PROM, bearerToken: 'prom-token' }, metrics: [{ name: 'success', template: 'envoy-success-rate', thresholdRange: { min: 99 }, intervalSeconds: 1, ...metric }] },
    ...extra,
  });

/** Runs the driver's alarm until `done` holds (measurements are due an interval after a step converged: real time passes). */
async function driveUntil(id: number, done: (r: Json) => boolean, ms = 10_000): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    await runDurableObjectAlarm(driver(id));
    const r = await read(id);
    if (done(r) || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

describe('metric analysis per step', () => {
  // Each case drives real time (measurements are due an interval after a step converged) for up to 10 s: a 30 s timeout, not the default 5 s a loaded machine overruns.
  it('a healthy candidate: each step measured after it converged, then promoted; the measurements are on the rollout, the credential is not', async () => {
    const ns = await setUp('an-ok');
    answer = () => vector('99.8');
    const created = await start(analysed(ns));
    expect(created.status).toBe(201);
    expect(created.body.analysis.provider).toEqual({ url: PROM, auth: 'bearer', timeoutSeconds: 10 });
    expect(JSON.stringify(created.body)).not.toContain('prom-token');
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
    expect(r.history.map((h: Json) => [h.weight, h.outcome, h.analysis])).toEqual([[50, 'converged', 'passed'], [100, 'converged', 'passed']]);
    expect(r.analysis.measurements).toEqual([
      expect.objectContaining({ metric: 'success', step: 0, value: 99.8, verdict: 'passed' }),
      expect.objectContaining({ metric: 'success', step: 1, value: 99.8, verdict: 'passed' }),
    ]);
    // The candidate's cluster, as the translator names it, templated in.
    expect(r.analysis.measurements[0].query).toContain(`envoy_cluster_name="outbound|9080|v2|${host(ns)}"`);
    expect(r.analysis.measurements[0].query).toContain('[1s]');
    // The stored row keeps the credential encrypted: never the token itself.
    const row = await env.DB.prepare('select body from rollouts where id = ?').bind(r.id).first<{ body: string }>();
    expect(row!.body).not.toContain('prom-token');
    expect(JSON.parse(row!.body).analysis.provider.credential).toMatch(/AES-256-GCM/);
  }, 30_000);

  it('a failing candidate aborts at its first analysed step and rolls back, as a NACK does, with the failing measurement', async () => {
    const ns = await setUp('an-bad');
    answer = () => vector('70');
    const created = await start(analysed(ns));
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', weight: 0, currentStep: 0 });
    expect(r.abort).toMatchObject({ reason: 'analysis', message: expect.stringContaining('metric success failed 1 time (failureLimit 0): 70 is outside [99, +inf]') });
    expect(r.abort.measurements).toEqual([expect.objectContaining({ metric: 'success', value: 70, verdict: 'failed', query: expect.stringContaining('envoy_cluster_upstream_rq_xx') })]);
    expect(r.history[0]).toMatchObject({ outcome: 'converged', analysis: 'failed' });
    expect(await weightsAt(ns, r.abort.rollbackRevision)).toEqual({ v1: 100 });
    expect((await revisionsOf(r.id)).map((x) => x.step)).toEqual(['0', 'rollback']);
  }, 30_000);

  it('failureLimit tolerates failures; count asks for several measurements per step', async () => {
    const ns = await setUp('an-limit');
    const values = ['50', '99.9', '99.9', '99.9'];
    answer = () => vector(values.shift() ?? '99.9');
    const created = await start(analysed(ns, { failureLimit: 1, count: 2 }, { steps: [100] }));
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
    expect(r.analysis.measurements.map((m: Json) => m.verdict)).toEqual(['failed', 'passed']);
  }, 30_000);

  it('inconclusive (no data, NaN, Prometheus refusing) pauses by default and never passes silently; resume measures again', async () => {
    const ns = await setUp('an-nodata');
    answer = () => Response.json({ status: 'success', data: { resultType: 'vector', result: [] } });
    const created = await start(analysed(ns));
    let r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('paused');
    expect(r.hold).toMatchObject({ by: 'analysis', message: expect.stringContaining('no data') });
    expect(r.analysis.measurements).toEqual([expect.objectContaining({ verdict: 'inconclusive', value: null })]);
    expect(await revisionsOf(r.id)).toHaveLength(1);

    // NaN (0/0: no requests in the window) is inconclusive too; after resume, it pauses again.
    answer = () => vector('NaN');
    expect((await act(r.id, 'resume')).status).toBe(200);
    r = await driveUntil(r.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('paused');
    expect(r.analysis.measurements.at(-1)).toMatchObject({ verdict: 'inconclusive', message: expect.stringContaining('NaN') });

    // Data at last: resumed, it passes and goes on.
    answer = () => vector('100');
    await act(r.id, 'resume');
    r = await driveUntil(r.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
    expect(r.hold).toBeNull();
  }, 30_000);

  it('inconclusive: abort, as configured; a query Prometheus refuses is inconclusive and says why', async () => {
    const ns = await setUp('an-incabort');
    answer = () => Response.json({ status: 'error', errorType: 'bad_data', error: 'parse error: unexpected identifier' }, { status: 400 });
    const created = await start(analysed(ns, { template: undefined, query: 'sum(rate(foo{a="{{candidate.host}}"}[{{interval}}]))', inconclusive: 'abort' }));
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', abort: { reason: 'analysis', message: expect.stringContaining('bad_data: parse error') } });
    expect(queries[0]).toBe(`sum(rate(foo{a="${host(ns)}"}[1s]))`);
  }, 30_000);

  it('background analysis aborts whatever step the rollout is at', async () => {
    const ns = await setUp('an-bg');
    answer = (q) => vector(q.includes('p99') ? '900' : '100');
    const created = await start(
      analysed(ns, {}, { steps: [10, 50, 100], pauseSeconds: 30, analysis: { provider: { url: PROM, bearerToken: 'prom-token' }, background: [{ name: 'latency', query: 'p99{c="{{candidate.cluster}}"}', thresholdRange: { max: 500 }, intervalSeconds: 1 }] } }),
    );
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', currentStep: 0, abort: { reason: 'analysis', message: expect.stringContaining('metric latency failed') } });
    expect(r.analysis.measurements[0]).toMatchObject({ metric: 'latency', step: null, value: 900, verdict: 'failed' });
  }, 30_000);
});

describe('bad analysis input: a 400 naming the field, nothing stored', () => {
  const cases: [string, Json, string][] = [
    ['min > max', { thresholdRange: { min: 99, max: 90 } }, 'analysis.metrics[0].thresholdRange.min'],
    ['an unknown template', { template: 'envoy-happiness' }, 'analysis.metrics[0].template'],
    ['a malformed query', { template: undefined, query: 'sum(rate(x[1m])' }, 'analysis.metrics[0].query'],
    ['an unknown placeholder', { template: undefined, query: 'up{x="{{canary.cluster}}"}' }, 'analysis.metrics[0].query'],
    ['neither query nor template', { template: undefined }, 'analysis.metrics[0].query'],
  ];
  it.each(cases)('%s', async (_, metric, path) => {
    const ns = await setUp('an-400');
    const before = await env.DB.prepare('select count(*) as n from rollouts').first<{ n: number }>();
    const res = await start(analysed(ns, metric));
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
    expect(await env.DB.prepare('select count(*) as n from rollouts').first<{ n: number }>()).toEqual(before);
  });

  it('a template naming the cluster needs the destination port', async () => {
    const ns = await setUp('an-port');
    const res = await start({ ...analysed(ns), candidate: { host: host(ns), subset: 'v2' } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'candidate.port', message: expect.stringContaining('outbound|<port>|<subset>|<host>') });
  });

  it('a gate naming no registered webhook is a 409', async () => {
    const ns = await setUp('an-gate409');
    const res = await start({ ...request(ns), gates: [{ type: 'rollout', webhook: 'nobody-here' }] });
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ path: 'gates[0].webhook', message: expect.stringContaining('no webhook named nobody-here') }]);
  });
});

describe('gates', () => {
  /** Runs the dispatcher's alarm (the webhook delivery) then the rollout's, until done. */
  async function driveBoth(id: number, done: (r: Json) => boolean): Promise<Json> {
    const until = Date.now() + 10_000;
    for (;;) {
      await runDurableObjectAlarm(driver(id));
      await runDurableObjectAlarm(env.EVENTS.get(env.EVENTS.idFromName('dispatcher')));
      const r = await read(id);
      if (done(r) || Date.now() > until) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const receiver = 'http://gate.test/hook';
  let gateAnswers: number[] = [];
  let calls: { headers: Headers; body: Json }[] = [];
  beforeEach(() => {
    gateAnswers = [];
    calls = [];
    const inner = globalThis.fetch;
    vi.mocked(inner).mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      if (req.url !== receiver) throw new Error(`unexpected fetch ${req.url}`);
      calls.push({ headers: req.headers, body: await req.json() });
      return new Response('gate says', { status: gateAnswers.shift() ?? 200 });
    });
  });

  it('a rollout gate answering 500 holds the step (retried by the webhook), then 200 lets it go on; each call is signed and recorded', async () => {
    const ns = await setUp('gate-hold');
    expect((await callJson('PUT', `/api/v1/webhooks/gate-${ns}`, { body: { url: receiver, events: ['rollout.gate'] } })).status).toBe(201);
    gateAnswers = [500];
    const created = await start({ ...request(ns), steps: [50, 100], gates: [{ type: 'rollout', webhook: `gate-${ns}` }] });
    let r = await driveBoth(created.body.id, (x) => x.hold?.by === 'gate');
    expect(r).toMatchObject({ state: 'progressing', currentStep: 0, hold: { by: 'gate', message: expect.stringContaining('answered HTTP 500') } });
    expect(r.gateCalls).toEqual([expect.objectContaining({ type: 'rollout', step: 1, verdict: 'held', status: 500 })]);
    r = await driveBoth(r.id, (x) => x.state === 'succeeded');
    expect(r.state).toBe('succeeded');
    expect(r.gateCalls.at(-1)).toMatchObject({ verdict: 'passed', status: 200 });
    expect(calls[0]!.headers.get('webhook-signature')).toMatch(/^v1,/);
    expect(calls[0]!.headers.get('x-xdsflare-event')).toBe('rollout.gate');
    expect(calls[0]!.body).toMatchObject({ type: 'rollout.gate', data: { gate: 'rollout', rollout: r.id, step: 1, weight: 100 } });
  }, 30_000);

  it('onFailure abort: a non-2xx answer rolls back; a pre-rollout gate that says no means nothing is committed', async () => {
    const ns = await setUp('gate-abort');
    await callJson('PUT', `/api/v1/webhooks/gate-${ns}`, { body: { url: receiver, events: ['rollout.gate'] } });
    gateAnswers = [503];
    const pre = await start({ ...request(ns), gates: [{ type: 'pre-rollout', webhook: `gate-${ns}`, onFailure: 'abort' }] });
    expect(pre.status).toBe(201);
    expect(pre.body).toMatchObject({ history: [], hold: { by: 'gate' } });
    let r = await driveBoth(pre.body.id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', abort: { reason: 'gate', rollbackRevision: null, message: expect.stringContaining('pre-rollout gate') } });
    expect(await revisionsOf(r.id)).toEqual([]);

    gateAnswers = [200, 500];
    const created = await start({ ...request(ns), gates: [{ type: 'pre-rollout', webhook: `gate-${ns}` }, { type: 'confirm-promotion', webhook: `gate-${ns}`, onFailure: 'abort' }] });
    r = await driveBoth(created.body.id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', currentStep: 1, abort: { reason: 'gate', message: expect.stringContaining('confirm-promotion gate') } });
    expect((await revisionsOf(r.id)).map((x) => x.step)).toEqual(['0', '1', 'rollback']);
  }, 30_000);
});

describe('the provider credential across a SECRETS_KEY rotation', () => {
  it('is read with SECRETS_KEY_PREVIOUS while rotating, and is unreadable (naming both keys) once the old key is gone', async () => {
    const { authorizationOf } = await import('../../functions/rollouts/analysis/credentials');
    const ns = await setUp('an-rotate');
    answer = () => vector('99.9');
    const created = await start(analysed(ns));
    expect(created.status).toBe(201);
    const row = await env.DB.prepare('select body from rollouts where id = ?').bind(created.body.id).first<{ body: string }>();
    const provider = JSON.parse(row!.body).analysis.provider;
    const NEW_KEY = 'HPJGveeLtWw7+9+s4YSM+lwE1A6GTMNN86MAxmdUjfI=';
    expect(await authorizationOf(env, created.body.id, provider)).toBe('Bearer prom-token');
    expect(await authorizationOf({ ...env, SECRETS_KEY: NEW_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY }, created.body.id, provider)).toBe('Bearer prom-token');
    await expect(authorizationOf({ ...env, SECRETS_KEY: NEW_KEY, SECRETS_KEY_PREVIOUS: undefined }, created.body.id, provider)).rejects.toThrow(/encrypted with another key[\s\S]*SECRETS_KEY_PREVIOUS/);
    await act(created.body.id, 'abort');
  });
});

describe('the rollout.analysis event', () => {
  it('is queued for a subscribed webhook once per measurement, with its query, value and verdict', async () => {
    expect((await callJson('PUT', '/api/v1/webhooks/analysis-feed', { body: { url: 'https://receiver.example.com/hook', events: ['rollout.analysis'] } })).status).toBe(201);
    const ns = await setUp('an-event');
    answer = () => vector('99.7');
    const created = await start(analysed(ns));
    const r = await driveUntil(created.body.id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
    const { results } = await env.DB.prepare("select event, payload from deliveries where webhook = 'analysis-feed' order by created_at").all<{ event: string; payload: string }>();
    const mine = results.map((d) => ({ event: d.event, ...JSON.parse(d.payload) })).filter((d) => d.data?.rollout === r.id);
    expect(mine.map((d) => [d.event, d.type ?? d.event, d.data.metric, d.data.step, d.data.value, d.data.verdict])).toEqual([
      ['rollout.analysis', 'rollout.analysis', 'success', 0, 99.7, 'passed'],
      ['rollout.analysis', 'rollout.analysis', 'success', 1, 99.7, 'passed'],
    ]);
    expect(mine[0].data.query).toBe(r.analysis.measurements[0].query);
    await callJson('DELETE', '/api/v1/webhooks/analysis-feed');
  }, 30_000);
});

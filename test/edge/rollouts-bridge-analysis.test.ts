import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { callJson } from './helpers';
import { host, read, report, request, runAlarm, setUp, start } from './rollouts-support';

// Analysis with `from: bridge`, driven here as a bridge drives it (xds/bridge-sync/analysis-queries.ts):
// this test asks GET /rollouts/bridge-queries and answers POST /rollouts/bridge-results itself, with the
// values a bridge would have read from its Prometheus. The real bridge, against a real Prometheus only
// it is told of, runs in test/e2e/rollout-analysis.test.ts.

type Json = Record<string, any>;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

const withPort = (ns: string, subset: string) => ({ host: host(ns), subset, port: { number: 9080 } });
const analysed = (ns: string, metric: Json = {}, provider: Json = {}) =>
  request(ns, {
    stable: withPort(ns, 'v1'),
    candidate: withPort(ns, 'v2'),
    steps: [50, 100],
    analysis: { provider: { from: 'bridge', ...provider }, metrics: [{ name: 'success', template: 'envoy-success-rate', thresholdRange: { min: 99 }, intervalSeconds: 1, ...metric }] },
  });

const queries = async (): Promise<Json[]> => {
  const res = await callJson('GET', '/api/v1/rollouts/bridge-queries');
  expect(res.status).toBe(200);
  return res.body.queries;
};
const answer = (results: Json[]) => callJson('POST', '/api/v1/rollouts/bridge-results', { body: { bridge: 'bridge-a', results }, contentType: 'application/json' });

/** Runs the driver until a query of this rollout is pending (its first is due an interval after the step converged). */
async function untilAsked(id: number, ms = 10_000): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    await runAlarm(id);
    const q = (await queries()).find((x) => x.rollout === id);
    if (q || Date.now() > until) return q!;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function drive(id: number, done: (r: Json) => boolean, ms = 10_000): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    await runAlarm(id);
    const r = await read(id);
    if (done(r) || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

describe('analysis run by a bridge (from: bridge)', () => {
  it('asks the bridges for each due query and judges the value they report: the step advances on it, the next is asked again', async () => {
    const ns = await setUp('br-ok');
    const created = await start(analysed(ns));
    expect(created.status).toBe(201);
    expect(created.body.analysis.provider).toEqual({ from: 'bridge', auth: 'none', timeoutSeconds: 10 });
    const id = created.body.id;
    await report([{ node: 'br-1', revision: created.body.history[0].revision }]);
    const q = await untilAsked(id);
    expect(q).toMatchObject({ id: expect.any(String), rollout: id, timeoutMs: 10_000, time: expect.any(Number) });
    expect(q.query).toContain(`envoy_cluster_name="outbound|9080|v2|${host(ns)}"`);
    // Asked once: looking again does not ask twice.
    await runAlarm(id);
    expect((await queries()).filter((x) => x.rollout === id)).toHaveLength(1);

    // An answer for an id nobody waits for changes nothing.
    expect((await answer([{ id: 'nobody', rollout: id, value: 1 }])).status).toBe(204);
    expect((await read(id)).analysis.measurements).toEqual([]);

    expect((await answer([{ id: q.id, rollout: id, value: 99.5 }])).status).toBe(204);
    let r = await drive(id, (x) => x.currentStep === 1);
    expect(r.history[0]).toMatchObject({ outcome: 'converged', analysis: 'passed' });
    expect(r.analysis.measurements).toEqual([expect.objectContaining({ metric: 'success', step: 0, value: 99.5, verdict: 'passed', query: q.query, at: new Date(q.time).toISOString() })]);
    expect((await queries()).filter((x) => x.rollout === id)).toEqual([]);

    await report([{ node: 'br-1', revision: r.history[1].revision }]);
    const q2 = await untilAsked(id);
    await answer([{ id: q2.id, rollout: id, value: 100 }]);
    r = await drive(id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
  }, 30_000);

  it('a failing value aborts and rolls back; a value the bridge could not get is inconclusive (paused, naming the bridge and why)', async () => {
    const ns = await setUp('br-bad');
    const bad = (await start(analysed(ns))).body;
    await report([{ node: 'br-2', revision: bad.history[0].revision }]);
    const q = await untilAsked(bad.id);
    await answer([{ id: q.id, rollout: bad.id, value: 70 }]);
    const aborted = await drive(bad.id, (x) => x.state !== 'progressing');
    expect(aborted).toMatchObject({ state: 'aborted', abort: { reason: 'analysis', measurements: [expect.objectContaining({ value: 70, verdict: 'failed' })] } });

    const ns2 = await setUp('br-none');
    const none = (await start(analysed(ns2))).body;
    await report([{ node: 'br-2', revision: none.history[0].revision }]);
    const q2 = await untilAsked(none.id);
    await answer([{ id: q2.id, rollout: none.id, value: null, message: 'Prometheus unreachable: connect ECONNREFUSED 10.0.0.9:9090' }]);
    const paused = await drive(none.id, (x) => x.state === 'paused');
    expect(paused.hold).toMatchObject({ by: 'analysis', message: expect.stringContaining('bridge bridge-a: Prometheus unreachable') });
    expect(paused.analysis.measurements).toEqual([expect.objectContaining({ verdict: 'inconclusive', value: null })]);
  }, 30_000);

  it('no bridge answering is inconclusive after the timeout and a grace, never a pass', async () => {
    const ns = await setUp('br-silent');
    const r0 = (await start(analysed(ns, { inconclusive: 'abort' }, { timeoutSeconds: 1 }))).body;
    await report([{ node: 'br-3', revision: r0.history[0].revision }]);
    await untilAsked(r0.id);
    const r = await drive(r0.id, (x) => x.state !== 'progressing', 25_000);
    expect(r).toMatchObject({ state: 'aborted', abort: { reason: 'analysis' } });
    expect(r.analysis.measurements).toEqual([expect.objectContaining({ verdict: 'inconclusive', message: expect.stringContaining('no bridge answered within 16 s') })]);
  }, 40_000);

  it('bad input: a 400 naming the field, nothing stored', async () => {
    const ns = await setUp('br-400');
    const before = (await env.DB.prepare('select count(*) as n from rollouts').first<{ n: number }>())!.n;
    const cases: [Json, string][] = [
      [{ from: 'bridge', bearerToken: 't' }, 'analysis.provider.bearerToken'],
      [{ from: 'bridge', url: 'http://prometheus.monitoring:9090' }, 'analysis.provider.url'],
      [{ from: 'cluster' }, 'analysis.provider.from'],
      [{ from: 'edge' }, 'analysis.provider.url'],
    ];
    for (const [provider, path] of cases) {
      const res = await start(analysed(ns, {}, provider));
      expect(res.status, JSON.stringify(provider)).toBe(400);
      expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
    }
    expect((await env.DB.prepare('select count(*) as n from rollouts').first<{ n: number }>())!.n).toBe(before);
    const badResults = await callJson('POST', '/api/v1/rollouts/bridge-results', { body: { bridge: 'b', results: [{ id: 'x', rollout: 'one', value: 1 }] }, contentType: 'application/json' });
    expect(badResults.status).toBe(400);
    expect(badResults.body.errors.map((e: Json) => e.path)).toContain('results[0].rollout');
  });
});

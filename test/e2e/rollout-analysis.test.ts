import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/echo-traffic';
import { adminApi, startEdge, type RunningEdge } from '../support/start-server';

// Rollouts judged by a real Prometheus (Debian's `prometheus`, started here on loopback with a
// generated config) scraping a small exporter whose Envoy cluster counters this test controls, and
// the edge as `npm start` runs it (wrangler dev: real alarms, the Worker fetching Prometheus itself).
// Nothing is stubbed: the queries, the rate windows and the verdicts are Prometheus's.

const PROMETHEUS = '/usr/bin/prometheus';
const EDGE_PORT = 8798;
const NS = 'analysis';
const host = (svc: string) => `${svc}.${NS}.svc.cluster.local`;
const cluster = (svc: string, subset: string) => `outbound|9080|${subset}|${host(svc)}`;

type Json = Record<string, any>;

const mesh = (svc: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${svc}, namespace: ${NS}}
spec:
  hosts: [${host(svc)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1, labels: {version: v1}}, {address: 10.0.0.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${svc}, namespace: ${NS}}
spec:
  host: ${host(svc)}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${svc}, namespace: ${NS}}
spec:
  hosts: [${host(svc)}]
  http: [{name: primary, route: [{destination: {host: ${host(svc)}, subset: v1}, weight: 100}]}]
`;

/** Envoy's cluster counters as its /stats/prometheus names them; each cluster answers `rps` requests a second, `errorShare` of them 5xx. */
function exporter(traffic: Record<string, { rps: number; errorShare: number }>) {
  const registry = new Registry();
  const rq = new Counter({ name: 'envoy_cluster_upstream_rq_xx', help: 'upstream requests by response code class', labelNames: ['envoy_cluster_name', 'envoy_response_code_class'], registers: [registry] });
  const timer = setInterval(() => {
    for (const [name, t] of Object.entries(traffic)) {
      const n = t.rps / 10;
      rq.inc({ envoy_cluster_name: name, envoy_response_code_class: '2' }, n * (1 - t.errorShare));
      rq.inc({ envoy_cluster_name: name, envoy_response_code_class: '5' }, n * t.errorShare);
    }
  }, 100);
  const server = createServer(async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  return { server, stop: () => (clearInterval(timer), server.close()) };
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('rollouts judged by a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-prom-'));
  const traffic: Record<string, { rps: number; errorShare: number }> = {
    [cluster('healthy', 'v2')]: { rps: 50, errorShare: 0 },
    [cluster('failing', 'v2')]: { rps: 50, errorShare: 0.3 },
    [cluster('gated', 'v2')]: { rps: 50, errorShare: 0 },
    [cluster('inside', 'v2')]: { rps: 50, errorShare: 0 },
    // silent's v2 has its counters but no requests: its success rate is 0/0, NaN (with no series at all it is "no data", inconclusive too).
    [cluster('silent', 'v2')]: { rps: 0, errorShare: 0 },
  };
  const exp = exporter(traffic);
  let prometheus: ChildProcess | undefined;
  let promLog = '';
  let promUrl = '';
  let edge: RunningEdge | undefined;
  const gateAnswers: number[] = [];
  const gateCalls: { verified: boolean; body: Json }[] = [];
  let gateSecret = '';
  const gate = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let verified = false;
      try {
        new Webhook(gateSecret).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {}
      gateCalls.push({ verified, body: JSON.parse(raw) });
      res.statusCode = gateAnswers.shift() ?? 200;
      res.end('gate');
    });
  });

  const api: (method: string, path: string, body?: unknown) => Promise<Json> = adminApi(() => edge!.base);
  const rollout = (svc: string, analysis: Json, extra: Json = {}) =>
    api('POST', '/api/v1/rollouts', {
      name: `${svc}-v2`,
      virtualService: { namespace: NS, name: svc },
      stable: { host: host(svc), subset: 'v1', port: { number: 9080 } },
      candidate: { host: host(svc), subset: 'v2', port: { number: 9080 } },
      steps: [50, 100],
      pauseSeconds: 0,
      timeoutSeconds: 60,
      analysis: { provider: { url: promUrl }, ...analysis },
      ...extra,
    });
  const successRate = (extra: Json = {}) => ({ metrics: [{ name: 'success-rate', template: 'envoy-success-rate', thresholdRange: { min: 95 }, intervalSeconds: 3, ...extra }] });
  const finished = (id: number, until: (r: Json) => boolean = (r) => r.state === 'succeeded' || r.state === 'aborted') =>
    eventually(async () => {
      const r = await api('GET', `/api/v1/rollouts/${id}`);
      return until(r) ? r : undefined;
    }, 60_000, 500);

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: install the Debian package "prometheus" (apt-get install prometheus); the test setup does when it runs as root`);
    const exporterPort = await listen(exp.server);
    const gatePort = await listen(gate);
    const probe = createServer();
    const promPort = await listen(probe); // a free port for Prometheus, released at once
    await new Promise((r) => probe.close(r));
    writeFileSync(join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: envoy\n    static_configs: [{targets: ['127.0.0.1:${exporterPort}']}]\n`);
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (promLog += d));
    prometheus.stderr!.on('data', (d) => (promLog += d));
    // The bridge beside the edge is the only one told where Prometheus is (from: bridge); the edge's rollouts name no URL for it.
    edge = await startEdge(EDGE_PORT, { env: { XDSFLARE_PROMETHEUS_URL: promUrl, XDSFLARE_ANALYSIS_POLL_MS: '500' } });
    // Scraped for a few seconds: rates over a 3 s window need samples.
    await eventually(async () => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(`count_over_time(envoy_cluster_upstream_rq_xx{envoy_cluster_name="${cluster('healthy', 'v2')}"}[10s])`)}`).catch(() => undefined);
      const body = res?.ok ? ((await res.json()) as Json) : undefined;
      return Number(body?.data?.result?.[0]?.value?.[1] ?? 0) >= 4 ? true : undefined;
    }, 60_000, 500).catch((err) => {
      throw new Error(`Prometheus did not scrape the exporter: ${err}\n${promLog.slice(-2000)}`);
    });
    for (const svc of ['healthy', 'failing', 'silent', 'unreachable', 'gated', 'inside']) await api('POST', '/api/v1/apply', mesh(svc));
    const hook = await api('PUT', '/api/v1/webhooks/release-gate', { url: `http://127.0.0.1:${gatePort}/gate`, events: ['rollout.gate'] });
    gateSecret = hook.secret;
  }, 150_000);

  afterAll(async () => {
    await edge?.stop();
    prometheus?.kill('SIGTERM');
    exp.stop();
    gate.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a healthy candidate passes at every step and is promoted; each measurement is Prometheus\'s value', async () => {
    const r = await finished((await rollout('healthy', successRate())).id);
    expect(r.state).toBe('succeeded');
    expect(r.history.map((h: Json) => [h.weight, h.analysis])).toEqual([[50, 'passed'], [100, 'passed']]);
    expect(r.analysis.measurements).toHaveLength(2);
    for (const m of r.analysis.measurements) expect(m).toMatchObject({ metric: 'success-rate', verdict: 'passed', value: 100, query: expect.stringContaining(cluster('healthy', 'v2')) });
  });

  it('from: bridge, the bridge runs the queries against the Prometheus only it is told of and reports them back: promoted on its values', async () => {
    // A URL with from: bridge is refused, naming the field: the edge never holds a path into the cluster.
    await expect(api('POST', '/api/v1/rollouts', { name: 'x', virtualService: { namespace: NS, name: 'inside' }, stable: { host: host('inside'), subset: 'v1' }, candidate: { host: host('inside'), subset: 'v2' }, analysis: { provider: { from: 'bridge', url: promUrl }, metrics: [{ name: 'up', query: 'up', thresholdRange: { min: 1 } }] } })).rejects.toThrow(/400[\s\S]*analysis\.provider\.url[\s\S]*XDSFLARE_PROMETHEUS_URL/);
    const started = await api('POST', '/api/v1/rollouts', {
      name: 'inside-v2',
      virtualService: { namespace: NS, name: 'inside' },
      stable: { host: host('inside'), subset: 'v1', port: { number: 9080 } },
      candidate: { host: host('inside'), subset: 'v2', port: { number: 9080 } },
      steps: [50, 100],
      pauseSeconds: 0,
      timeoutSeconds: 60,
      analysis: { provider: { from: 'bridge' }, ...successRate() },
    });
    expect(started.analysis.provider).toEqual({ from: 'bridge', auth: 'none', timeoutSeconds: 10 });
    const r = await finished(started.id);
    expect(r.state).toBe('succeeded');
    expect(r.history.map((h: Json) => [h.weight, h.analysis])).toEqual([[50, 'passed'], [100, 'passed']]);
    expect(r.analysis.measurements).toHaveLength(2);
    for (const m of r.analysis.measurements) expect(m).toMatchObject({ metric: 'success-rate', verdict: 'passed', value: 100, query: expect.stringContaining(cluster('inside', 'v2')) });
    expect(r.analysis.pending).toEqual([]);
  });

  it('a candidate answering 30% errors is aborted at its first analysed step, traffic back on stable, the failing measurement recorded', async () => {
    const r = await finished((await rollout('failing', successRate())).id);
    expect(r).toMatchObject({ state: 'aborted', currentStep: 0, weight: 0, abort: { reason: 'analysis' } });
    const [m] = r.abort.measurements;
    expect(m).toMatchObject({ metric: 'success-rate', step: 0, verdict: 'failed', query: expect.stringContaining('envoy_response_code_class!="5"') });
    expect(m.value).toBeGreaterThan(65);
    expect(m.value).toBeLessThan(75);
    const vs = await api('GET', `/api/v1/namespaces/${NS}/virtualservices/failing`);
    expect(vs.spec.http[0].route).toEqual([{ destination: { host: host('failing'), subset: 'v1' }, weight: 100 }]);
  });

  it('no traffic (NaN) is inconclusive: paused by default, never a silent pass; Prometheus unreachable aborts when so configured', async () => {
    const [silent, unreachable] = await Promise.all([rollout('silent', successRate()), rollout('unreachable', successRate({ inconclusive: 'abort' }), { analysis: { provider: { url: 'http://127.0.0.1:9', timeoutSeconds: 2 }, ...successRate({ inconclusive: 'abort' }) } })]);
    const paused = await finished(silent.id, (r) => r.state !== 'progressing');
    expect(paused).toMatchObject({ state: 'paused', weight: 50, hold: { by: 'analysis' } });
    expect(paused.analysis.measurements[0]).toMatchObject({ verdict: 'inconclusive', value: null, message: expect.stringContaining('NaN') });
    const aborted = await finished(unreachable.id);
    expect(aborted).toMatchObject({ state: 'aborted', abort: { reason: 'analysis', message: expect.stringContaining('Prometheus unreachable') } });
    await api('POST', `/api/v1/rollouts/${silent.id}/abort`, { reason: 'no traffic to judge' });
  });

  it('a gate webhook answering 500 holds the rollout; answering 200 lets it go on (signed as every webhook)', async () => {
    gateAnswers.push(500, 500);
    const started = await rollout('gated', successRate(), { gates: [{ type: 'confirm-promotion', webhook: 'release-gate' }] });
    const held = await finished(started.id, (r) => r.hold?.by === 'gate');
    expect(held).toMatchObject({ state: 'progressing', currentStep: 0, hold: { message: expect.stringContaining('HTTP 500') } });
    const r = await finished(started.id);
    expect(r.state).toBe('succeeded');
    expect(r.gateCalls).toEqual([expect.objectContaining({ type: 'confirm-promotion', step: 1, verdict: 'passed', status: 200 })]);
    expect(gateCalls.length).toBeGreaterThanOrEqual(3);
    expect(gateCalls.every((c) => c.verified && c.body.type === 'rollout.gate' && c.body.data.rollout === started.id)).toBe(true);
  });
}, 240_000);

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../functions/app';
import { exposition } from '../../functions/metrics/exposition';
import { routeGroup } from '../../functions/metrics/analytics';
import { apply, call, callJson, REVIEWS } from './helpers';

// GET /metrics (Prometheus' text format, from D1) and the Analytics Engine data points. A real
// Prometheus scrapes it in test/e2e/edge-metrics.test.ts.

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics', () => {
  it('needs metrics:read (admin implies it), and answers the text format with the fleet, revisions, rollouts and deliveries', async () => {
    expect((await call('GET', '/metrics', { token: null })).status).toBe(401);
    const config = await callJson('POST', '/api/v1/tokens', { body: { name: 'metrics-config-reader', scopes: ['config:read'] } });
    expect((await call('GET', '/metrics', { token: config.body.token })).status).toBe(403);
    const reader = await callJson('POST', '/api/v1/tokens', { body: { name: 'metrics-reader', scopes: ['metrics:read'] } });
    expect(reader.status).toBe(201);

    await apply(REVIEWS([80, 20], 'metrics'));
    const now = Date.now();
    await env.DB.prepare('delete from proxies').run();
    const insert = env.DB.prepare("insert into proxies (node_id, view, transport, last_seen) values (?, 'envoy|mesh', ?, ?)");
    await env.DB.batch([
      insert.bind('m-live-rest', 'rest', new Date(now).toISOString()),
      insert.bind('m-live-ads', 'ads', new Date(now).toISOString()),
      insert.bind('m-stale-rest', 'rest', new Date(now - 120_000).toISOString()),
      // Gone (past STATUS_FORGET_MS): not in the fleet, not counted.
      insert.bind('m-gone-rest', 'rest', new Date(now - 3_600_000).toISOString()),
    ]);
    const res = await call('GET', '/metrics', { token: reader.body.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE xdsflare_proxies gauge');
    expect(sample(text, 'xdsflare_proxies{state="live",transport="rest"}')).toBe(1);
    expect(sample(text, 'xdsflare_proxies{state="live",transport="ads"}')).toBe(1);
    expect(sample(text, 'xdsflare_proxies{state="stale",transport="rest"}')).toBe(1);
    expect(sample(text, 'xdsflare_proxies{state="stale",transport="ads"}')).toBe(0);
    const head = (await env.DB.prepare('select max(id) as id, count(*) as n from revisions').first<{ id: number; n: number }>())!;
    expect(sample(text, 'xdsflare_head_revision')).toBe(head.id);
    expect(sample(text, 'xdsflare_revisions')).toBe(head.n);
    const rollouts = await env.DB.prepare("select count(*) as n from rollouts where state = 'aborted'").first<{ n: number }>();
    expect(sample(text, 'xdsflare_rollouts{state="aborted"}')).toBe(rollouts!.n);
    expect(sample(text, 'xdsflare_webhook_deliveries{state="pending"}')).toBeGreaterThanOrEqual(0);
    expect(text.endsWith('\n')).toBe(true);
    expect((await call('GET', '/metrics')).status).toBe(200);
  });
});

describe('the exposition format', () => {
  it('escapes label values and help text, and writes special numbers as Prometheus reads them', () => {
    const text = exposition([{ name: 'x_total', help: 'a \\ b\nc', type: 'counter', samples: [{ labels: { v: 'q"\\\n' }, value: NaN }, { value: Infinity }, { value: -Infinity }, { value: 1.5 }] }]);
    expect(text).toBe('# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{v="q\\"\\\\\\n"} NaN\nx_total +Inf\nx_total -Inf\nx_total 1.5\n');
    expect(() => exposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow('invalid metric name');
    expect(() => exposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow('invalid label name');
  });
});

describe('Workers Analytics Engine', () => {
  it('gets one data point per request with its kind, a route group of a small set, method and status', async () => {
    // The real binding is in env (wrangler.toml), but miniflare's local dataset keeps nothing to read
    // back, so the points are recorded by a double passed in its place; the real one must accept a write.
    expect(typeof env.METRICS?.writeDataPoint).toBe('function');
    env.METRICS!.writeDataPoint({ indexes: ['request'], blobs: ['request'], doubles: [1] });
    const points: AnalyticsEngineDataPoint[] = [];
    const recorder = { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) };
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const fetchWith = (path: string, init: RequestInit = {}) => app.request(path, init, { ...env, METRICS: recorder }, ctx);
    await fetchWith('/healthz');
    await fetchWith('/v3/discovery:clusters', { method: 'POST', headers: { host: 'xds_cluster', 'content-type': 'application/json' }, body: JSON.stringify({ node: { id: 'ae-node', user_agent_name: 'envoy' }, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }) });
    await fetchWith('/api/v1/namespaces/metrics/virtualservices/reviews', { method: 'DELETE' });
    expect(points.map((p) => [p.indexes, p.blobs!.slice(0, 3)])).toEqual([
      [['request'], ['request', '/healthz', 'GET']],
      [['poll'], ['poll', 'discovery:clusters', 'POST']],
      [['write'], ['write', 'objects', 'DELETE']],
    ]);
    expect(points[2]!.blobs![3]).toBe('4xx');
    expect(points[0]!.doubles![2]).toBe(200);
    expect(routeGroup('/api/v1/proxies/some-node-id')).toBe('proxies');
    expect(routeGroup('/api/v1/unknown/x')).toBe('other');
    expect(routeGroup('/no/such/path')).toBe('other');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, pollClusters } from '../cli/cli-fixtures';
import { eventually } from '../support/echo-traffic';
import { adminApi, startEdge, type RunningEdge } from '../support/start-server';

// The edge's GET /metrics scraped by a real Prometheus (Debian's `prometheus`, on loopback with a
// generated config) from the edge as `npm start` runs it, and the values queried back from
// Prometheus: if the exposition were malformed Prometheus would refuse the scrape (up == 0).

const PROMETHEUS = '/usr/bin/prometheus';
const NS = 'metrics';
const host = `ratings.${NS}.svc.cluster.local`;
const mesh = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings, namespace: ${NS}}
spec:
  hosts: [${host}]
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.7.0.1, labels: {version: v1}}, {address: 10.7.0.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: ${NS}}
spec:
  host: ${host}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: ${NS}}
spec:
  hosts: [${host}]
  http: [{name: primary, route: [{destination: {host: ${host}, subset: v1}, weight: 100}]}]
`;

type Json = Record<string, any>;

describe('GET /metrics scraped by a real Prometheus', () => {
  let edge: RunningEdge;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-metrics-'));
  const api = adminApi(() => edge.base);
  const query = async (q: string): Promise<Json[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    return ((await res.json()) as Json).data?.result ?? [];
  };
  const value = async (q: string) => {
    const [first] = await query(q);
    return first ? Number(first.value[1]) : undefined;
  };

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: install the Debian package "prometheus" (apt-get install prometheus); the test setup does when it runs as root`);
    edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
    const reader = await api('POST', '/api/v1/tokens', { name: `metrics-${Date.now()}`, scopes: ['metrics:read'] });
    const other = await api('POST', '/api/v1/tokens', { name: `config-${Date.now()}`, scopes: ['config:read'] });
    await api('POST', '/api/v1/apply', mesh);
    await api('POST', '/api/v1/rollouts', { virtualService: { namespace: NS, name: 'ratings' }, route: 'primary', stable: { host, subset: 'v1' }, candidate: { host, subset: 'v2' }, steps: [20, 100], pauseSeconds: 3600 });
    // A REST poller in the fleet (its status is written in batches, XDS_STATUS_FLUSH_MS 5 s).
    await eventually(async () => {
      await pollClusters(edge.base, 'metrics-node-1', '');
      const { items } = await api('GET', '/api/v1/proxies');
      return items.some((p: Json) => p.nodeId === 'metrics-node-1') ? true : undefined;
    }, 30_000, 500);

    const probe = createServer();
    const promPort = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    promUrl = `http://127.0.0.1:${promPort}`;
    const target = edge.base.replace(/^http:\/\//, '');
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: {scrape_interval: 1s}\nscrape_configs:\n` +
        `  - job_name: xdsflare\n    metrics_path: /metrics\n    authorization: {credentials: ${reader.token}}\n    static_configs: [{targets: ['${target}']}]\n` +
        `  - job_name: wrong-scope\n    metrics_path: /metrics\n    authorization: {credentials: ${other.token}}\n    static_configs: [{targets: ['${target}']}]\n`,
    );
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (promLog += d));
    prometheus.stderr!.on('data', (d) => (promLog += d));
    await eventually(async () => ((await value('up{job="xdsflare"}').catch(() => undefined)) === 1 ? true : undefined), 60_000, 500).catch((err) => {
      throw new Error(`Prometheus did not scrape the edge: ${err}\n${promLog.slice(-2000)}`);
    });
  }, 150_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await edge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the fleet, the revisions, the rollouts and the deliveries as D1 does', async () => {
    const { items } = await api('GET', '/api/v1/revisions?limit=1');
    const head = items[0].revision;
    // The scrape after the writes above: the head revision is the API's.
    await eventually(async () => ((await value('xdsflare_head_revision{job="xdsflare"}')) === head ? true : undefined), 20_000, 500);
    expect(await value('xdsflare_revisions{job="xdsflare"}')).toBeGreaterThanOrEqual(head >= 1 ? 1 : 0);
    expect(await value('xdsflare_proxies{job="xdsflare",state="live",transport="rest"}')).toBeGreaterThanOrEqual(1);
    expect(await value('xdsflare_proxies{job="xdsflare",state="stale",transport="ads"}')).toBe(0);
    const { items: rollouts } = await api('GET', '/api/v1/rollouts?state=progressing');
    expect(await value('xdsflare_rollouts{job="xdsflare",state="progressing"}')).toBe(rollouts.length);
    expect(await value('xdsflare_rollouts{job="xdsflare",state="aborted"}')).toBe(0);
    expect((await query('xdsflare_webhook_deliveries{job="xdsflare"}')).map((r) => r.metric.state).sort()).toEqual(['delivered', 'failed', 'pending']);
    // A token without metrics:read is refused (403), so that scrape fails.
    expect(await eventually(() => value('up{job="wrong-scope"}'), 20_000, 500)).toBe(0);
  }, 60_000);
});

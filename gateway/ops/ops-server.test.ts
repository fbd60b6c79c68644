import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { createBridgeMetrics } from './metrics';
import { startOpsServer, type OpsServer, type Readiness } from './ops-server';

const lines: string[] = [];
const logger = createLogger({ level: 'debug', stream: { write: (l) => lines.push(l) } });
const servers: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  lines.length = 0;
});

async function start(ready: () => Readiness = () => ({ ok: true }), address = '127.0.0.1:0') {
  const metrics = createBridgeMetrics({ defaultMetrics: false });
  const server = await startOpsServer({ address, registry: metrics.registry, ready, logger });
  servers.push(server);
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  return { server, metrics, url };
}

describe('startOpsServer', () => {
  it('answers 200 ok on /healthz while the process is live', async () => {
    const { url } = await start(() => ({ ok: false, reason: 'no snapshot yet' }));
    const res = await fetch(url('/healthz'));
    expect([res.status, await res.text()]).toEqual([200, 'ok\n']);
  });

  it('answers 200 on /readyz once there is a snapshot to serve', async () => {
    const { url } = await start(() => ({ ok: true }));
    const res = await fetch(url('/readyz'));
    expect([res.status, await res.text()]).toEqual([200, 'ok\n']);
  });

  it('answers 503 on /readyz with the reason while draining', async () => {
    let state: Readiness = { ok: true };
    const { url } = await start(() => state);
    expect((await fetch(url('/readyz'))).status).toBe(200);
    state = { ok: false, reason: 'draining' };
    const res = await fetch(url('/readyz'));
    expect([res.status, await res.text()]).toEqual([503, 'not ready: draining\n']);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 503 when the readiness check itself throws', async () => {
    const { url } = await start(() => { throw new Error('cache gone'); });
    const res = await fetch(url('/readyz'));
    expect([res.status, await res.text()]).toEqual([503, 'not ready: readiness check failed: cache gone\n']);
  });

  it('logs readiness changes, not every probe', async () => {
    let state: Readiness = { ok: false, reason: 'no snapshot yet' };
    const { url } = await start(() => state);
    await fetch(url('/readyz'));
    await fetch(url('/readyz'));
    state = { ok: true };
    await fetch(url('/readyz'));
    await fetch(url('/readyz'));
    const changes = lines.map((l) => JSON.parse(l)).filter((r) => /ready/.test(r.msg));
    expect(changes.map((r) => [r.msg, r.reason])).toEqual([['not ready', 'no snapshot yet'], ['ready', undefined]]);
  });

  it('serves the registry on /metrics in the Prometheus text format', async () => {
    const { url, metrics } = await start();
    metrics.acks.inc({ type: 'clusters' }, 3);
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(await res.text()).toMatch(/^xdsflare_bridge_acks_total\{type="clusters"\} 3$/m);
  });

  it('ignores the query string', async () => {
    const { url } = await start();
    expect((await fetch(url('/healthz?verbose=1'))).status).toBe(200);
  });

  it('answers 404 on other paths and 405 with Allow on other methods', async () => {
    const { url } = await start();
    expect((await fetch(url('/'))).status).toBe(404);
    expect((await fetch(url('/constructor'))).status).toBe(404);
    const post = await fetch(url('/metrics'), { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(url('/readyz'), { method: 'DELETE' })).status).toBe(405);
  });

  it('answers HEAD like GET, without a body', async () => {
    const { url } = await start(() => ({ ok: false, reason: 'draining' }));
    const res = await fetch(url('/readyz'), { method: 'HEAD' });
    expect([res.status, await res.text()]).toEqual([503, '']);
  });

  it('listens on port 0 and reports the port it got', async () => {
    const { server } = await start();
    expect(server.port).toBeGreaterThan(0);
  });

  it('listens on an IPv6 address given in brackets', async () => {
    const metrics = createBridgeMetrics({ defaultMetrics: false });
    let server: OpsServer;
    try {
      server = await startOpsServer({ address: '[::1]:0', registry: metrics.registry, ready: () => ({ ok: true }), logger });
    } catch (error) {
      if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(String((error as Error).message))) return; // no IPv6 loopback here
      throw error;
    }
    servers.push(server);
    expect((await fetch(`http://[::1]:${server.port}/healthz`)).status).toBe(200);
  });

  it('rejects with the address when the port is taken', async () => {
    const { server } = await start();
    await expect(start(undefined, `127.0.0.1:${server.port}`)).rejects.toThrow(`ops server cannot listen on 127.0.0.1:${server.port}: EADDRINUSE`);
  });

  it('closes promptly even with a keep-alive connection open, and twice is harmless', async () => {
    const { server } = await start();
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/healthz', agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });
    const started = Date.now();
    await server.close();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();
  });
});

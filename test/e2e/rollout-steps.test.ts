import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { eventually, split } from '../support/echo-traffic';
import { GRPC_CLIENTS } from '../support/grpc-clients';
import { startEdge, type RunningEdge } from '../support/start-server';

// An A/B rollout step against `npm start`: the control plane inserts the A/B route itself, the bridge
// relays it over ADS, and real proxyless gRPC clients (grpc-js-xds and C-core) send calls with and
// without the matching metadata. Only the matching calls may reach the candidate.
const NS = 'abtest';
const HOST = `echo.${NS}.svc.cluster.local`;
const TARGET = `${HOST}:7070`;
const root = join(import.meta.dirname, '..', '..');

describe('an A/B rollout step through the bridge, against npm start', () => {
  let cp: RunningEdge;
  let token: string;
  let ports: Record<string, number>;
  const backends: Record<string, EchoBackend> = {};

  const api = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'application/yaml' : 'application/json';
    const res = await fetch(`${cp.base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  beforeAll(async () => {
    for (const v of ['v1', 'v2']) backends[v] = await startEcho(v);
    ports = Object.fromEntries(Object.entries(backends).map(([v, b]) => [v, b.port]));
    cp = await startEdge(8799);
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
    await Promise.all(Object.values(backends).map((b) => b.stop()));
  });

  // Both clients in one rollout: a client closed after one case would still count as a live proxy (until
  // STATUS_STALE_MS) that never ACKs the next case's step.
  it('grpc-js and C-core: only calls carrying the x-canary metadata reach the candidate; the abort takes the A/B route away', async () => {
    await api('POST', '/api/v1/apply', echoMesh({ host: HOST, namespace: NS, endpoints: ports, weights: { v1: 100 }, subsets: ['v1', 'v2'] }));
    const clients = await Promise.all(GRPC_CLIENTS.map(async (kind) => ({ kind, client: await kind.connect(cp.bridge!.adsPort, TARGET, `ab-${kind.id}`) })));
    try {
      for (const { client } of clients) await eventually(async () => ((await split(() => client.call(5000), 5)).v1 === 5 ? true : undefined), 15_000);
      // A long pause holds the rollout at its A/B step.
      const r = await api('POST', '/api/v1/rollouts', {
        name: 'ab',
        virtualService: { namespace: NS, name: 'echo' },
        stable: { host: HOST, subset: 'v1' },
        candidate: { host: HOST, subset: 'v2' },
        steps: [{ match: [{ headers: { 'x-canary': { exact: 'yes' } } }] }, 100],
        pauseSeconds: 3600,
        timeoutSeconds: 60,
      });
      expect(r.stepKinds[0]).toEqual({ kind: 'match', match: [{ headers: { 'x-canary': { exact: 'yes' } } }] });
      // The step converges once both clients ACKed it (revision status through the bridge's report).
      await eventually(async () => ((await api('GET', `/api/v1/rollouts/${r.id}`)).history[0].outcome === 'converged' ? true : undefined), 30_000, 250);

      for (const { kind, client } of clients) {
        const canary = () => client.call(5000, { 'x-canary': 'yes' });
        await eventually(async () => ((await split(canary, 5)).v2 === 5 ? true : undefined), 15_000);
        const withHeader = await split(canary, 200);
        const wrongValue = await split(() => client.call(5000, { 'x-canary': 'no' }), 200);
        const without = await split(() => client.call(5000), 200);
        console.log(`${kind.name} at the A/B step: x-canary: yes`, withHeader, 'x-canary: no', wrongValue, 'none', without);
        expect(withHeader, kind.name).toEqual({ v2: 200 });
        expect(wrongValue, kind.name).toEqual({ v1: 200 });
        expect(without, kind.name).toEqual({ v1: 200 });
      }

      const aborted = await api('POST', `/api/v1/rollouts/${r.id}/abort`, { reason: 'e2e done' });
      expect(aborted.state).toBe('aborted');
      for (const { kind, client } of clients) {
        const canary = () => client.call(5000, { 'x-canary': 'yes' });
        await eventually(async () => ((await split(canary, 5)).v1 === 5 ? true : undefined), 15_000);
        expect(await split(canary, 100), kind.name).toEqual({ v1: 100 });
      }
    } finally {
      for (const { client } of clients) client.close();
    }
  }, 120_000);
});

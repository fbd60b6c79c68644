import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { continuousCalls, eventually, sleep, split } from '../support/echo-traffic';
import { startEdge, type RunningEdge } from '../support/start-server';

// A CI pipeline as a release engineer writes it, against `npm start`: apply v1, roll out v2 in steps
// run by the control plane itself while proxyless gRPC clients (the real @grpc/grpc-js-xds, through
// the bridge) carry traffic, then roll out a candidate the clients reject and watch it abort alone.
const NS = 'pipeline';
const HOST = `echo.${NS}.svc.cluster.local`;
const TARGET = `${HOST}:7070`;
const root = join(import.meta.dirname, '..', '..');
interface Rollout {
  id: number;
  state: string;
  currentStep: number;
  weight: number;
  history: { step: number; weight: number; revision: number; convergedAt?: string | null; outcome: string }[];
  abort: { reason: string; message: string; revision?: number; rejections?: { message: string }[]; rollbackRevision?: number } | null;
}

describe('a CI pipeline: stepped rollouts with automatic rollback, against npm start', () => {
  let cp: RunningEdge;
  let token: string;
  let ports: Record<string, number>;
  const backends: Record<string, EchoBackend> = {};
  const events: { type: string; data: Record<string, any> }[] = [];
  let receiver: Server;

  const api = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'x-ci-run-id': 'pipeline-e2e-1' };
    if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'application/yaml' : 'application/json';
    const res = await fetch(`${cp.base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const rollout = (id: number): Promise<Rollout> => api('GET', `/api/v1/rollouts/${id}`);

  beforeAll(async () => {
    for (const v of ['v1', 'v2', 'v3']) backends[v] = await startEcho(v);
    ports = Object.fromEntries(Object.entries(backends).map(([v, b]) => [v, b.port]));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        events.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    cp = await startEdge(8796);
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
    const port = (receiver.address() as { port: number }).port;
    await api('PUT', '/api/v1/webhooks/pipeline', { url: `http://127.0.0.1:${port}/hook`, secret: 'whsec_' + Buffer.from('pipeline-e2e-secret-0123456789').toString('base64') });
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
    await Promise.all(Object.values(backends).map((b) => b.stop()));
    receiver?.close();
  }, 30_000);

  it('rolls v2 out in steps that the clients follow, then aborts a rejected candidate by itself', async () => {
    const v1 = await api('POST', '/api/v1/apply', echoMesh({ host: HOST, namespace: NS, endpoints: ports, weights: { v1: 100 }, subsets: ['v1', 'v2'] }));
    const clients = await Promise.all(['pipeline-a', 'pipeline-b'].map((id) => xdsEchoClient(cp.bridge!.adsPort, TARGET, id)));
    try {
      await eventually(async () => ((await split(clients[0]!.call, 5)).v1 === 5 && (await split(clients[1]!.call, 5)).v1 === 5 ? true : undefined), 15_000);
      // The bridge reports its first clients within 2 s; until then the revision has no proxies to judge.
      await eventually(async () => ((await api('GET', `/api/v1/revisions/${v1.revision}/status?wait=5`)).phase === 'converged' ? true : undefined), 10_000, 250);

      // Rollout 1: v1 → v2 in steps of 20, 50, 100; each step waits for both clients to ACK, then 6 s.
      const destination = (subset: string) => ({ host: HOST, subset });
      const first: Rollout = await api('POST', '/api/v1/rollouts', { name: 'echo-v2', virtualService: { namespace: NS, name: 'echo' }, stable: destination('v1'), candidate: destination('v2'), steps: [20, 50, 100], pauseSeconds: 6, timeoutSeconds: 30 });
      for (const [step, weight] of [[0, 20], [1, 50]] as const) {
        const seen = await eventually(async () => {
          const r = await rollout(first.id);
          return r.history[step]?.convergedAt ? r : undefined;
        }, 30_000, 200);
        const counts = await split(clients[step % 2]!.call, 400);
        const after = await rollout(first.id);
        console.log(`step ${step} (${weight}% to v2, revision ${seen.history[step]!.revision}): ${JSON.stringify(counts)}`);
        // Measured inside the step's pause: the rollout had not moved on.
        expect(after.currentStep).toBe(step);
        // Binomial sd over 400 calls is at most 10 calls; ±45 is 4.5 sd or more.
        expect(Math.abs((counts.v2 ?? 0) - 4 * weight)).toBeLessThanOrEqual(45);
        expect((counts.v1 ?? 0) + (counts.v2 ?? 0)).toBe(400);
      }
      const done = await eventually(async () => {
        const r = await rollout(first.id);
        return r.state === 'succeeded' ? r : undefined;
      }, 30_000, 250);
      expect(done.history.map((h) => [h.weight, h.outcome])).toEqual([[20, 'converged'], [50, 'converged'], [100, 'converged']]);
      for (const c of clients) expect(await split(c.call, 100)).toEqual({ v2: 100 });

      // Each step is a revision of its own in the history: who and which CI run started it, which
      // rollout step made it, and what it changed, as intents and as rendered Envoy resources.
      const step1 = await api('GET', `/api/v1/revisions/${done.history[1]!.revision}`);
      expect(step1.author).toBe('admin');
      expect(step1.source).toMatchObject({ ciRunId: 'pipeline-e2e-1', rollout: String(first.id), step: '1' });
      expect(step1.diff.intents.map((d: { op: string; kind: string; name: string }) => `${d.op} ${d.kind}/${d.name}`)).toEqual(['updated VirtualService/echo']);
      const routeWeights = step1.diff.intents[0].patch.filter((op: { path: string }) => op.path.endsWith('/weight'));
      expect(routeWeights.map((op: { value: number }) => op.value).sort()).toEqual([50, 50]);
      expect(step1.diff.rendered.length).toBeGreaterThan(0);
      expect(step1.diff.rendered.every((r: { type: string; op: string }) => r.type.endsWith('RouteConfiguration') && r.op === 'changed')).toBe(true);

      // Rollout 2: v2 → v3, whose DestinationRule (carried by the rollout) turns TLS on for v3,
      // which gRPC clients reject. A gRPC client asks for a cluster only once a route names it, so the
      // step's route reaches it first and the candidate's share of calls fails until the abort; after
      // the abort's revision converges, every call lands on v2 again.
      const during = continuousCalls(clients[0]!.call, 2);
      const second: Rollout = await api('POST', '/api/v1/rollouts', {
        name: 'echo-v3',
        virtualService: { namespace: NS, name: 'echo' },
        stable: destination('v2'),
        candidate: destination('v3'),
        steps: [25, 100],
        pauseSeconds: 2,
        timeoutSeconds: 30,
        manifest: [{ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'echo', namespace: NS }, spec: { host: HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }, { name: 'v3', labels: { version: 'v3' }, trafficPolicy: { tls: { mode: 'SIMPLE' } } }] } }],
      });
      const startedAt = Date.now();
      const aborted = await eventually(async () => {
        const r = await rollout(second.id);
        return r.state === 'aborted' ? r : undefined;
      }, 40_000, 250);
      const abortedAfter = Date.now() - startedAt;
      console.log(`aborted ${abortedAfter} ms after the start; the abort as the rollout shows it:`, JSON.stringify(aborted.abort));
      expect(aborted.abort!.reason).toBe('rejected');
      expect(aborted.abort!.message).toMatch(/ca_certificate_provider_instance|certificate provider/);
      expect(aborted.history[0]!.outcome).toBe('rejected');
      const rejected = await api('GET', `/api/v1/revisions/${aborted.history[0]!.revision}/status`);
      expect(rejected.phase).toBe('rejected');
      expect(JSON.stringify(rejected.proxies)).toMatch(/ca_certificate_provider_instance|certificate provider/);
      const rollback = await api('GET', `/api/v1/revisions/${aborted.abort!.rollbackRevision}/status?wait=15`);
      expect(rollback.phase).toBe('converged');
      await during.stop();
      console.log(`while the rejected step was live: ${during.total} calls, ${during.failed} failed (${new Set(during.failures).size} distinct errors: ${[...new Set(during.failures)].join('; ')})`);
      expect(during.counts.v3 ?? 0).toBe(0);
      expect(during.failures.every((f) => /ca_certificate_provider_instance|certificate provider/.test(f))).toBe(true);

      const after = continuousCalls(clients[0]!.call, 2);
      await sleep(1000);
      await after.stop();
      expect(after.failures).toEqual([]);
      expect(Object.keys(after.counts)).toEqual(['v2']);
      for (const c of clients) expect(await split(c.call, 100)).toEqual({ v2: 100 });

      // The pipeline's webhook heard all of it.
      const types = await eventually(async () => {
        const seen = new Set(events.map((e) => e.type));
        return ['rollout.step', 'rollout.succeeded', 'rollout.aborted', 'revision.rejected'].every((t) => seen.has(t)) ? seen : undefined;
      }, 20_000, 250);
      expect([...types]).toEqual(expect.arrayContaining(['revision.converged']));
    } finally {
      for (const c of clients) c.close();
    }
  }, 180_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { echoMesh } from '../support/echo-mesh';
import { eventually, sleep } from '../support/echo-traffic';
import { adminApi, startEdge, type RunningEdge } from '../support/start-server';

// Steps are advanced by Durable Object alarms, which workerd keeps in the state directory: a
// rollout survives the control plane being stopped mid-step and resumes when it comes back.
const NS = 'restart';
const HOST = `echo.${NS}.svc.cluster.local`;
const PORT = 8797;

describe('a rollout across a restart of the edge', () => {
  const state = mkdtempSync(join(tmpdir(), 'xdsflare-restart-'));
  let cp: RunningEdge | undefined;
  afterAll(async () => {
    await cp?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('keeps stepping after the Worker process is stopped and started again, with no request to nudge it', async () => {
    const api = adminApi(() => `http://127.0.0.1:${PORT}`);
    cp = await startEdge(PORT, { stateDir: state, env: { XDSFLARE_NO_BRIDGE: '1' } });
    await api('POST', '/api/v1/apply', echoMesh({ host: HOST, namespace: NS, endpoints: { v1: 1, v2: 2 }, weights: { v1: 100 } }));
    const destination = (subset: string) => ({ host: HOST, subset });
    // No proxies are connected: each step converges at once, and the 6 s pauses are the clock.
    const started = await api('POST', '/api/v1/rollouts', { virtualService: { namespace: NS, name: 'echo' }, stable: destination('v1'), candidate: destination('v2'), steps: [10, 50, 100], pauseSeconds: 6, timeoutSeconds: 60 });
    await eventually(async () => ((await api('GET', `/api/v1/rollouts/${started.id}`)).history[0]?.convergedAt ? true : undefined), 15_000, 200);

    // Stopped inside step 0's pause, and down for longer than what is left of it.
    await cp.stop();
    const downAt = Date.now();
    await sleep(7000);
    cp = await startEdge(PORT, { stateDir: state, env: { XDSFLARE_NO_BRIDGE: '1' } });
    const upAfter = Date.now() - downAt;

    // Watched without asking for anything else: GETs read D1 and never move a rollout.
    const done = await eventually(async () => {
      const r = await api('GET', `/api/v1/rollouts/${started.id}`);
      return r.state === 'succeeded' ? r : undefined;
    }, 40_000, 500);
    console.log(`down for ${upAfter} ms; after the restart the rollout went on:`, JSON.stringify(done.history.map((h: { weight: number; revision: number; outcome: string }) => [h.weight, h.revision, h.outcome])));
    expect(done.history.map((h: { weight: number; outcome: string }) => [h.weight, h.outcome])).toEqual([[10, 'converged'], [50, 'converged'], [100, 'converged']]);
    // Each step committed exactly once: three step revisions after the apply, nothing twice.
    const { items } = await api('GET', '/api/v1/revisions');
    const stepRevisions = items.filter((r: { source: Record<string, string> }) => r.source.rollout === String(started.id));
    expect(stepRevisions.map((r: { source: Record<string, string> }) => r.source.step).sort()).toEqual(['0', '1', '2']);
    const vs = await api('GET', `/api/v1/namespaces/${NS}/virtualservices/echo`);
    expect(vs.spec.http[0].route).toEqual([{ destination: destination('v2'), weight: 100 }]);
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, buildCli, freePort, pollClusters, runCli, type CliOptions, twoSubsetMesh } from './cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// Rollouts driven through the built CLI against `npm start`'s edge (no bridge). Steps advance on the
// edge by themselves; the CLI starts, watches, pauses, promotes and aborts them.

let edge: RunningEdge;
let env: Record<string, string>;
let dir: string;
const cli = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });
const api = async (path: string) => (await fetch(`${edge.base}${path}`, { headers: { authorization: `Bearer ${env.XDSFLARE_TOKEN}` } })).json() as Promise<any>;
const weights = async () => (await api('/api/v1/namespaces/ro/virtualservices/ratings')).spec.http[0].route.map((r: any) => [r.destination.subset, r.weight ?? 100]);

const HOST = 'ratings.ro.svc.cluster.local';
const mesh = twoSubsetMesh('ratings', 'ro', '10.2.0', `  - name: primary
    route: [{destination: {host: ${HOST}, subset: v1}}]`);

beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
  env = { XDSFLARE_SERVER: edge.base, XDSFLARE_TOKEN: adminToken() };
  dir = mkdtempSync(join(tmpdir(), 'xdsflare-cli-rollout-'));
  const applied = await cli(['apply', '-f', '-'], { input: mesh });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);
afterAll(() => edge?.stop());

const startFlags = (stable: string, candidate: string, ...extra: string[]) => ['rollout', 'start', '--virtual-service', 'ro/ratings', '--route', 'primary', '--stable', `${HOST}:${stable}`, '--candidate', `${HOST}:${candidate}`, ...extra];
const idOf = (stdout: string) => Number(/^rollout (\d+)/m.exec(stdout)?.[1]);

describe('xdsflare rollout', () => {
  it("runs docs/cli.md's first session as written", () => {
    const root = join(import.meta.dirname, '..', '..');
    const session = /## A first session with the CLI[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync(join(root, 'docs', 'cli.md'), 'utf8'))?.[1];
    expect(session).toContain('npx xdsflare');
    const run = spawnSync('bash', ['-c', `set -euo pipefail\n${session}`], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, XDSFLARE_SERVER: edge.base } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/revision (\d+) committed\nrevision \1: no-proxies/);
    expect(run.stdout).toMatch(/canary\s+reviews\s+reviews\.canary\.svc\.cluster\.local/);
    expect(run.stdout).toContain('/spec/http/0/route/0/weight: 90 → 80');
    expect(run.stdout).toMatch(/rollout \d+: succeeded, step 3 of 3, candidate at 100%/);
    expect(run.stdout).toMatch(/revision \d+\n  created: .* by admin\n  source:  rollout \d+ step 3/);
  }, 150_000);

  it('starts a rollout from flags and waits for it to succeed (no proxies, no pause)', async () => {
    const r = await cli([...startFlags('v1', 'v2'), '--steps', '25,100', '--pause', '0s', '--timeout', '1m', '--name', 'ratings-v2', '--wait', '60s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rollout \d+ \(ratings-v2\): succeeded, step 2 of 2, candidate at 100%/);
    expect(r.stdout).toContain('step 1: 25% revision');
    expect(await weights()).toEqual([['v2', 100]]);

    const list = await cli(['get', 'rollouts']);
    expect(list.stdout).toMatch(new RegExp(`${idOf(r.stdout)}\\s+ratings-v2\\s+succeeded\\s+ro/ratings\\s+primary\\s+2/2\\s+100%`));
    const json = await cli(['get', 'rollouts', '--state', 'succeeded', '-o', 'json']);
    expect(JSON.parse(json.stdout).items[0]).toMatchObject({ name: 'ratings-v2', state: 'succeeded', steps: [25, 100] });
    const status = await cli(['rollout', 'status', String(idOf(r.stdout)), '-o', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'succeeded', weight: 100 });
  }, 90_000);

  it('3 for a rollout the edge refuses, naming the field; 3 for an action on a finished rollout; 7 for no such rollout', async () => {
    writeFileSync(join(dir, 'bad.yaml'), `virtualService: {namespace: ro, name: ratings}\nroute: primary\nstable: {host: ${HOST}, subset: v2}\ncandidate: {host: ${HOST}, subset: v1}\nsteps: [50, 40, 100]\n`);
    const bad = await cli(['rollout', 'start', '-f', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/steps(\[1\]|\.1)/);

    const finished = JSON.parse((await cli(['get', 'rollouts', '-o', 'json'])).stdout).items[0].id;
    const again = await cli(['rollout', 'promote', String(finished)]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('409');
    expect((await cli(['rollout', 'status', '99999'])).code).toBe(7);
  });

  it('pauses, resumes and aborts a rollout from a file; status --wait then exits 4 with the reason', async () => {
    // From v2 back to v1, with a pause long enough that it is still on its first step when aborted.
    writeFileSync(join(dir, 'rollout.yaml'), `name: ratings-back\nvirtualService: {namespace: ro, name: ratings}\nroute: primary\nstable: {host: ${HOST}, subset: v2}\ncandidate: {host: ${HOST}, subset: v1}\nsteps: [10, 100]\npauseSeconds: 3600\n`);
    const started = await cli(['rollout', 'start', '-f', join(dir, 'rollout.yaml')]);
    expect(started.code).toBe(0);
    const id = String(idOf(started.stdout));
    expect(started.stdout).toContain('ratings-back');

    const paused = await cli(['rollout', 'pause', id]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/: paused, step 1 of 2, candidate at 10%/);
    expect((await cli(['rollout', 'status', id])).code).toBe(0);
    const waitedPaused = await cli(['rollout', 'status', id, '--wait', '1s']);
    expect(waitedPaused.code).toBe(5);
    expect(waitedPaused.stderr).toContain('still paused');
    expect((await cli(['rollout', 'resume', id])).stdout).toMatch(/: progressing/);

    const aborted = await cli(['rollout', 'abort', id, '--reason', 'smoke test failed']);
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toMatch(/aborted \(manual\)/);
    const status = await cli(['rollout', 'status', id, '--wait', '30s']);
    expect(status.code).toBe(4);
    expect(status.stderr).toContain(`rollout ${id} aborted (manual)`);
    expect(status.stdout).toContain('smoke test failed');
    expect(await weights()).toEqual([['v2', 100]]);
  }, 60_000);

  it('exits 4 when a proxy rejects a step and the edge aborts the rollout by itself', async () => {
    // A REST Envoy that never accepts anything new: after three polls with its old version the edge infers a NACK.
    let running = true;
    const stuck = (async () => {
      while (running) {
        await pollClusters(edge.base, 'cli-rejecting-envoy', '').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      const r = await cli([...startFlags('v2', 'v1'), '--steps', '50,100', '--pause', '0s', '--timeout', '2m', '--wait', '90s']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/aborted \(rejected\)/);
      expect(r.stdout).toContain('cli-rejecting-envoy');
      expect(await weights()).toEqual([['v2', 100]]);
    } finally {
      running = false;
      await stuck;
    }
  }, 120_000);
});

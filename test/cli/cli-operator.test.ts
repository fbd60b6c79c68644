import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, buildCli, CLI, freePort, pollClusters, runCli, twoSubsetMesh, type CliOptions } from './cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// The operator's commands of issue 15 through the built CLI against `npm start`'s edge (no bridge):
// writes under a rollout (--force, --abort-rollout and the message of the 409), patch and edit,
// -o wide, describe of a route and of a proxy, proxy-config, and get --watch into a pipe.

let edge: RunningEdge;
let env: Record<string, string>;
let dir: string;
const cli = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

const NS = 'operator';
const host = (name: string) => `${name}.${NS}.svc.cluster.local`;
const mesh = (name: string, net: string, v2: number) =>
  twoSubsetMesh(name, NS, net, `  - name: main\n    route: [{destination: {host: ${host(name)}, subset: v1}, weight: ${100 - v2}}, {destination: {host: ${host(name)}, subset: v2}, weight: ${v2}}]`);
const startRollout = (name: string) =>
  cli(['rollout', 'start', '--virtual-service', `${NS}/${name}`, '--route', 'main', '--stable', `${host(name)}:v1`, '--candidate', `${host(name)}:v2`, '--steps', '25,50,100', '--pause', '1h']);
const rolloutId = (stdout: string) => Number(/rollout (\d+)/.exec(stdout)![1]);

beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
  dir = mkdtempSync(join(tmpdir(), 'xdsflare-cli-operator-'));
  env = { XDSFLARE_SERVER: edge.base, XDSFLARE_TOKEN: adminToken(), XDSFLARE_CONFIG: join(dir, 'none.yaml') };
  for (const [name, net] of [['ratings', '10.5.0'], ['details', '10.5.1'], ['pages', '10.5.2']] as const) {
    const applied = await cli(['apply', '-f', '-'], { input: mesh(name, net, 0) });
    if (applied.code !== 0) throw new Error(applied.stderr);
  }
}, 120_000);
afterAll(() => edge?.stop());

describe('writes to a route a rollout owns', () => {
  it('are refused with what to do, and go through with --force or --abort-rollout', async () => {
    const started = await startRollout('ratings');
    expect(started.code, started.stderr).toBe(0);
    const id = rolloutId(started.stdout);

    const refused = await cli(['apply', '-f', '-'], { input: mesh('ratings', '10.5.0', 10) });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`rollout ${id} (progressing, step 1 of 3, candidate at 25%) owns route main of VirtualService ${NS}/ratings`);
    expect(refused.stderr).toContain('run it again with --abort-rollout');
    expect(refused.stderr).toContain('--force');
    const dry = await cli(['diff', '-f', '-'], { input: mesh('ratings', '10.5.0', 10) });
    expect(dry.code).toBe(3);
    expect(dry.stderr).toContain('a real apply would be refused (409): it moves the route of an active rollout');
    expect((await cli(['apply', '-f', '-', '--force', '--abort-rollout'], { input: mesh('ratings', '10.5.0', 10) })).code).toBe(2);

    const patch = JSON.stringify({ spec: { http: [{ name: 'main', route: [{ destination: { host: host('ratings'), subset: 'v1' }, weight: 100 }] }] } });
    expect((await cli(['patch', 'vs', 'ratings', '-n', NS, '-p', patch])).code).toBe(3);
    const forced = await cli(['patch', 'vs', 'ratings', '-n', NS, '-p', patch, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(`warning: VirtualService ${NS}/ratings: spec.http[0].route: rollout ${id}`);
    expect((await cli(['get', 'rollout', String(id), '-o', 'json'])).stdout).toContain('"state":"progressing"');

    const aborted = await cli(['apply', '-f', '-', '--abort-rollout'], { input: mesh('ratings', '10.5.0', 10) });
    expect(aborted.code, aborted.stderr).toBe(0);
    const revision = Number(/revision (\d+) committed/.exec(aborted.stdout)![1]);
    const rollout = JSON.parse((await cli(['get', 'rollout', String(id), '-o', 'json'])).stdout);
    expect(rollout).toMatchObject({ state: 'aborted', weight: 10, abort: { reason: 'manual', revision } });
  }, 60_000);

  it('edit writes back what the editor saved, and refuses the rollout\'s route the same way; delete too', async () => {
    const started = await startRollout('details');
    const id = rolloutId(started.stdout);
    // The editor: a script that changes the weights in the file it is given (a real child process, as $EDITOR is run).
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/weight: 75/weight: 60/; s/weight: 25/weight: 40/' "$1"\n`);
    chmodSync(editor, 0o755);
    const refused = await cli(['edit', 'vs', 'details', '-n', NS], { env: { EDITOR: editor } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`rollout ${id}`);
    const edited = await cli(['edit', 'vs', 'details', '-n', NS, '--abort-rollout'], { env: { EDITOR: editor } });
    expect(edited.code, edited.stderr).toBe(0);
    const vs = JSON.parse((await cli(['get', 'vs', 'details', '-n', NS, '-o', 'json'])).stdout);
    expect(vs.spec.http[0].route.map((d: { weight: number }) => d.weight)).toEqual([60, 40]);
    const unchanged = await cli(['edit', 'vs', 'details', '-n', NS], { env: { EDITOR: 'true' } });
    expect(unchanged.stdout).toContain('unchanged: nothing was written');

    const again = rolloutId((await startRollout('details')).stdout);
    expect((await cli(['delete', 'vs', 'details', '-n', NS])).code).toBe(3);
    const deleted = await cli(['delete', 'vs', 'details', '-n', NS, '--abort-rollout']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await cli(['get', 'rollout', String(again), '-o', 'json'])).stdout).state).toBe('aborted');
  }, 60_000);
});

describe('what an operator looks at', () => {
  it('-o wide adds columns; describe follows a route to its clusters and names the rollout that owns it', async () => {
    const id = rolloutId((await startRollout('pages')).stdout);
    const wide = await cli(['get', 'vs', '-n', NS, '-o', 'wide']);
    expect(wide.code).toBe(0);
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+HOSTS\s+GATEWAYS\s+HTTP\s+DESTINATIONS\s+LABELS\s+REVISION\s+GENERATION\s+AGE$/);
    expect(wide.stdout).toContain(`${host('pages')}:v1 75,${host('pages')}:v2 25`);
    expect((await cli(['get', 'dr', '-n', NS, '-o', 'wide'])).stdout).toMatch(/SUBSETS[\s\S]*v1,v2/);
    expect((await cli(['get', 'rollouts', '-o', 'wide'])).stdout.split('\n')[0]).toContain('CANDIDATE');

    const d = await cli(['describe', 'vs', 'pages', '-n', NS]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(`owned by: rollout ${id}`);
    expect(d.stdout).toContain(`http[0] main  ← rollout ${id} owns these weights`);
    expect(d.stdout).toContain(`→ ${host('pages')} subset v2  25%`);
    expect(d.stdout).toContain(`cluster outbound|9080|v2|${host('pages')}`);
    expect(d.stdout).toContain(`DestinationRule ${NS}/pages subset v2 (version=v2)`);
    expect((await cli(['describe', 'vs', 'nothing', '-n', NS])).code).toBe(7);
    expect((await cli(['describe', 'gateway', 'x'])).code).toBe(2);
  }, 60_000);

  it('describe proxy and proxy-config show what a proxy receives, as istioctl does', async () => {
    const node = 'operator-node-1';
    await pollClusters(edge.base, node, '');
    // The poll path writes status in batches (XDS_STATUS_FLUSH_MS, 5 s): poll until the fleet lists it.
    let r = await cli(['describe', 'proxy', node]);
    for (let i = 0; r.code === 7 && i < 40; i++) {
      await new Promise((res) => setTimeout(res, 250));
      await pollClusters(edge.base, node, '');
      r = await cli(['describe', 'proxy', node]);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`proxy ${node}`);
    expect(r.stdout).toMatch(/transport: rest/);
    expect(r.stdout).toMatch(/Cluster\s+(SYNCED|STALE)/);
    expect(r.stdout).toMatch(/receives \(\d+ clusters, \d+ endpoints, \d+ listeners, \d+ routes\)/);
    const pc = await cli(['proxy-config', 'clusters', node]);
    expect(pc.code, pc.stderr).toBe(0);
    expect(pc.stdout).toMatch(/CLUSTER\s+DISCOVERY/);
    expect(pc.stdout).toContain(`outbound|9080|v2|${host('pages')}`);
    expect(pc.stdout).not.toContain('ROUTE CONFIG');
    expect((await cli(['proxy-config', 'secrets', node])).code).toBe(2);
    expect((await cli(['proxy-config', 'routes', 'no-such-node'])).code).toBe(7);
    // Completion asks the edge for node ids and object names.
    const words = async (...args: string[]) => (await cli(['complete', '--', ...args])).stdout.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => l.split('\t')[0]);
    expect(await words('proxy-config', 'clusters', '')).toContain(node);
    expect(await words('describe', 'proxy', '')).toContain(node);
    expect(await words('get', 'vs', '-n', NS, '')).toEqual(expect.arrayContaining(['pages', 'ratings']));
    expect(await words('describe', 'vs', 'pa')).toEqual(['pages']);
    const wide = await cli(['get', 'proxies', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/SERVED REVISION\s+ACKED\s+NACK$/);
  }, 60_000);

  it('get --watch into a pipe prints the table once, then again only when it changes', async () => {
    const child = spawn(process.execPath, [CLI, 'get', 'vs', '-n', NS, '--watch'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const waiting: (() => void)[] = [];
    child.stdout.on('data', (d) => ((out += d), waiting.splice(0).forEach((check) => check())));
    const seen = (re: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => (re.test(out) ? resolve() : void waiting.push(check));
        check();
      });
    try {
      await seen(/NAMESPACE\s+NAME/);
      // A change: the watch prints the table a second time, with the new object.
      expect((await cli(['apply', '-f', '-'], { input: mesh('reviews', '10.5.3', 0) })).code).toBe(0);
      await seen(/\n\nNAMESPACE[\s\S]*reviews/);
      // Printed again only on a change: never the same table twice in a row (the edge's answers are compared).
      const tables = out.trim().split('\n\n');
      expect(tables[0]).not.toContain('reviews');
      tables.slice(1).forEach((t, i) => expect(t, out).not.toBe(tables[i]));
      // Into a pipe: no screen control codes, no header.
      expect(out).not.toContain('\x1b[');
      expect(out).not.toContain('Ctrl-C');
    } finally {
      child.kill();
    }
    // A rollout's watch ends by itself once the rollout finished.
    const id = rolloutId((await cli(['rollout', 'start', '--virtual-service', `${NS}/reviews`, '--route', 'main', '--stable', `${host('reviews')}:v1`, '--candidate', `${host('reviews')}:v2`, '--steps', '50,100', '--pause', '0s'])).stdout);
    const watched = await cli(['get', 'rollout', String(id), '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/succeeded/);
  }, 90_000);
});

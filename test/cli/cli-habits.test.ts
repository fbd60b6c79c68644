import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { adminToken, buildCli, freePort, pollClusters, runCli, type CliOptions, twoSubsetMesh } from './cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// kubectl habits, through the built CLI against `npm start`'s edge (no bridge): -o yaml, delete, diff's
// exit codes, what a proxy receives, contexts, completion, and progress lines on long waits.

let edge: RunningEdge;
let env: Record<string, string>;
let dir: string;
const cli = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

const HOST = 'details.habits.svc.cluster.local';
const mesh = (v2: number) =>
  twoSubsetMesh('details', 'habits', '10.3.0', `  - route: [{destination: {host: ${HOST}, subset: v1}, weight: ${100 - v2}}, {destination: {host: ${HOST}, subset: v2}, weight: ${v2}}]`);

beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
  // No config file of the machine's user: each test names its own.
  dir = mkdtempSync(join(tmpdir(), 'xdsflare-cli-habits-'));
  env = { XDSFLARE_SERVER: edge.base, XDSFLARE_TOKEN: adminToken(), XDSFLARE_CONFIG: join(dir, 'none.yaml') };
  const applied = await cli(['apply', '-f', '-'], { input: mesh(10) });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);
afterAll(() => edge?.stop());

describe('output and diffs', () => {
  it('prints -o yaml as the server\'s answers in YAML, one document each', async () => {
    const one = await cli(['get', 'vs', 'details', '-n', 'habits', '-o', 'yaml']);
    expect(one.code).toBe(0);
    const [doc] = parseAllDocuments(one.stdout).map((d) => d.toJS());
    expect(doc).toMatchObject({ kind: 'VirtualService', metadata: { name: 'details', namespace: 'habits' } });
    const two = await cli(['apply', '-f', '-', '--wait', '1s', '-o', 'yaml'], { input: mesh(20) });
    expect(two.code).toBe(0);
    const docs = parseAllDocuments(two.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({ committed: true });
    expect(docs[1]).toMatchObject({ phase: 'no-proxies' });
    expect((await cli(['get', 'vs', '-o', 'wider'])).code).toBe(2);
  });

  it('exits as kubectl diff does: 0 no changes, 1 changes, 8 an unexpected error; --exit-zero keeps 0', async () => {
    expect((await cli(['diff', '-f', '-'], { input: mesh(20) })).code).toBe(0);
    const changed = await cli(['diff', '-f', '-'], { input: mesh(30) });
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('/spec/http/0/route/1/weight: 20 → 30');
    expect((await cli(['apply', '--dry-run', '-f', '-'], { input: mesh(30) })).code).toBe(1);
    expect((await cli(['apply', '--dry-run', '--exit-zero', '-f', '-'], { input: mesh(30) })).code).toBe(0);
    expect((await cli(['diff', '-f', '-', '--server', 'http://127.0.0.1:1'], { input: mesh(30) })).code).toBe(8);
    expect((await cli(['apply', '-f', '-', '--server', 'http://127.0.0.1:1'], { input: mesh(30) })).code).toBe(1);
    expect((await cli(['apply', '--exit-zero', '-f', '-'], { input: mesh(30) })).code).toBe(2);
  });
});

describe('delete', () => {
  it('deletes by kind and name and by -f, one revision each; 7 when absent unless --ignore-not-found', async () => {
    const extra = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: extra, namespace: habits}\nspec:\n  hosts: [extra.habits.svc.cluster.local]\n  http:\n  - route: [{destination: {host: ${HOST}, subset: v1}}]\n`;
    writeFileSync(join(dir, 'extra.yaml'), extra);
    expect((await cli(['apply', '-f', join(dir, 'extra.yaml')])).code).toBe(0);
    const dry = await cli(['delete', '-f', join(dir, 'extra.yaml'), '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: 'VirtualService habits/extra would be deleted (dry run)\n' });
    const gone = await cli(['delete', '-f', join(dir, 'extra.yaml')]);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toMatch(/^VirtualService habits\/extra deleted in revision \d+\n$/);
    expect((await cli(['delete', 'vs', 'extra', '-n', 'habits'])).code).toBe(7);
    expect((await cli(['delete', 'vs', 'extra', '-n', 'habits', '--ignore-not-found'])).stdout).toBe('VirtualService habits/extra not found\n');
    // Still referenced by the VirtualService: refused.
    const refused = await cli(['delete', 'destinationrules', 'details', '-n', 'habits']);
    expect(refused.code).toBe(3);
  });
});

describe('what a proxy receives, and proxies that come and go', () => {
  it('lists a node\'s clusters, endpoints, listeners and routes; one type with --type; the resources with -o json', async () => {
    await pollClusters(edge.base, 'habits-node-1', '');
    // The poll path writes status in batches (XDS_STATUS_FLUSH_MS, 5 s).
    let r = await cli(['get', 'config', 'habits-node-1']);
    for (let i = 0; r.code === 7 && i < 40; i++) {
      await new Promise((res) => setTimeout(res, 250));
      await pollClusters(edge.base, 'habits-node-1', '');
      r = await cli(['get', 'config', 'habits-node-1']);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^view envoy\|mesh, revision \d+/);
    expect(r.stdout).toMatch(/clusters \(version \S+\): \d+\n\s+CLUSTER\s+DISCOVERY/);
    expect(r.stdout).toContain(`outbound|9080|v2|${HOST}`);
    expect(r.stdout).toMatch(/routes \(version \S+\): \d+\n\s+ROUTE CONFIG\s+VIRTUAL HOST/);
    const only = await cli(['get', 'config', 'habits-node-1', '--type', 'clusters']);
    expect(only.stdout).not.toContain('ROUTE CONFIG');
    const json = await cli(['get', 'config', 'habits-node-1', '-o', 'json']);
    expect(JSON.parse(json.stdout).configs.clusters.resources.length).toBeGreaterThan(0);
    expect((await cli(['get', 'config', 'no-such-node'])).code).toBe(7);
    expect((await cli(['get', 'config', 'habits-node-1', '--type', 'secrets'])).code).toBe(2);

    // Live: forgetting it is refused.
    const live = await cli(['proxy', 'forget', 'habits-node-1']);
    expect(live.code).toBe(3);
    expect(live.stderr).toContain('is live');
    expect((await cli(['proxy', 'forget', 'no-such-node'])).code).toBe(7);
  }, 60_000);

  it('prints progress while --wait waits, each change once when stderr is not a terminal', async () => {
    // A poller that takes the new revision's clusters once and never polls again: pending.
    const applied = await cli(['apply', '-f', '-'], { input: mesh(40) });
    const revision = /revision (\d+) committed/.exec(applied.stdout)![1];
    await pollClusters(edge.base, 'habits-silent-1', '');
    // A second poll past XDS_STATUS_FLUSH_MS (5 s) writes its status.
    await new Promise((r) => setTimeout(r, 5500));
    await pollClusters(edge.base, 'habits-silent-1', '');
    const r = await cli(['status', revision!, '--wait', '7s']);
    expect(r.code).toBe(5);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('waiting: '));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines[0]).toMatch(new RegExp(`^waiting: revision ${revision} pending: \\d+ converged, \\d+ pending \\(.*habits-silent-1`));
    expect(r.stderr).toContain(`timed out: revision ${revision} is still pending`);
  }, 30_000);
});

describe('contexts', () => {
  it('keeps named servers and tokens in a config file; --context, XDSFLARE_CONTEXT and current-context pick one', async () => {
    const config = join(dir, 'contexts', 'config.yaml');
    const bare = { PATH: process.env.PATH ?? '', HOME: dir, XDSFLARE_CONFIG: config };
    const offline = (args: string[]) => runCli(args, { env: bare });
    expect((await offline(['config', 'set-context', 'local', '--server', edge.base, '--token', adminToken()])).stdout).toContain('context local added');
    // The same edge under another spelling, with a token it refuses: 6 tells which context was used.
    const other = edge.base.replace('127.0.0.1', 'localhost');
    expect((await offline(['config', 'set-context', 'nowhere', '--server', other, '--token', 'xf_nope'])).code).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(readFileSync(config, 'utf8')).toContain('current-context: local');
    const listed = await offline(['config', 'get-contexts']);
    expect(listed.stdout).toMatch(/\*\s+local\s+http:\/\/127\.0\.0\.1:\d+\s+set/);
    expect(listed.stdout).not.toContain(adminToken());

    // The current context: no XDSFLARE_SERVER or XDSFLARE_TOKEN needed.
    expect((await offline(['get', 'vs', 'details', '-n', 'habits'])).code).toBe(0);
    expect((await offline(['--context', 'nowhere', 'get', 'vs'])).code).toBe(6);
    expect((await runCli(['get', 'vs'], { env: { ...bare, XDSFLARE_CONTEXT: 'nowhere' } })).code).toBe(6);
    expect((await offline(['config', 'use-context', 'nowhere'])).stdout).toContain('switched to context nowhere');
    expect((await offline(['config', 'current-context'])).stdout).toBe('nowhere\n');
    // A flag beats the file, and the context's token is not sent to the flag's server.
    expect((await runCli(['get', 'vs', '--server', edge.base], { env: bare })).code).toBe(6);
    expect((await runCli(['get', 'vs', '--server', edge.base, '--token', adminToken()], { env: bare })).code).toBe(0);
    expect((await offline(['--context', 'missing', 'get', 'vs'])).stderr).toContain('no context "missing"');
    expect((await offline(['config', 'delete-context', 'nowhere'])).code).toBe(0);
    expect((await offline(['config', 'current-context'])).code).toBe(7);
  });
});

describe('shell completion', () => {
  it('prints bash, zsh and fish scripts and completes commands, kinds, options and their values', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await cli(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('xdsflare complete --');
    }
    expect((await cli(['completion', 'tcsh'])).code).toBe(2);
    const words = async (...args: string[]) => (await cli(['complete', '--', ...args])).stdout.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => l.split('\t')[0]);
    expect((await words('ro')).sort()).toEqual(['rollback', 'rollout']);
    expect(await words('rollout', '')).toEqual(expect.arrayContaining(['start', 'status', 'pause', 'resume', 'promote', 'abort']));
    expect(await words('get', 'virt')).toEqual(['virtualservices']);
    expect(await words('get', '-o', '')).toEqual(['text', 'wide', 'json', 'yaml']);
    expect(await words('apply', '--dry')).toEqual(['--dry-run']);
  });
});

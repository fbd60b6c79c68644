import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, buildCli, CLI, freePort, runCli } from '../cli/cli-fixtures';
import { eventually } from '../support/echo-traffic';
import { startEdge, type RunningEdge } from '../support/start-server';

// examples/ci-pipeline as a user runs it: npm start, the example's backends, two proxyless gRPC
// clients whose bootstraps come from `xdsflare bootstrap --mode grpc`, then pipeline.sh, which
// talks to the control plane only through the CLI and branches on its exit codes.
const root = join(import.meta.dirname, '..', '..');
const example = join(root, 'examples', 'ci-pipeline');

interface Window {
  at: string;
  calls: Record<string, number>;
}

/** A child process whose stdout is JSON lines, kept as they arrive. */
function startLines(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Window[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    buffer += d;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, lines, stderr: () => stderr };
}

describe('examples/ci-pipeline, driven by the CLI alone', () => {
  let cp: RunningEdge;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-pipeline-'));

  beforeAll(async () => {
    buildCli();
    cp = await startEdge(await freePort());
  }, 120_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rolls v2 out, then sees v3 rejected and rolled back, exiting 4 with traffic on v2', async () => {
    const env = { XDSFLARE_SERVER: cp.base, XDSFLARE_TOKEN: adminToken() };
    const backends = startLines([join(example, 'echo-backends.mjs')]);
    children.push(backends.child);
    await eventually(async () => (backends.lines.length === 3 ? true : undefined), 10_000);

    const clients: ReturnType<typeof startLines>[] = [];
    for (const id of ['pipeline-client-1', 'pipeline-client-2']) {
      const file = join(dir, `${id}.json`);
      const made = await runCli(['bootstrap', '--mode', 'grpc', '--node', id, '--bridge', `127.0.0.1:${cp.bridge!.adsPort}`, '-o', file], { env });
      expect(made.code, made.stderr).toBe(0);
      const client = startLines([join(example, 'echo-client.mjs')], { GRPC_XDS_BOOTSTRAP: file });
      children.push(client.child);
      clients.push(client);
    }

    const run = await new Promise<{ code: number; out: string }>((resolve) => {
      const sh = spawn('bash', [join(example, 'pipeline.sh')], { env: { ...process.env, ...env, XDSFLARE_CLI: `${process.execPath} ${CLI}` }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      sh.stdout.on('data', (d) => (out += d));
      sh.stderr.on('data', (d) => (out += d));
      sh.on('close', (code) => resolve({ code: code ?? -1, out }));
    });
    console.log(run.out);
    expect(run.code).toBe(4);
    expect(run.out).toMatch(/rolled back by the control plane/);
    expect(run.out).toMatch(/ca_certificate_provider_instance|certificate provider/);

    // What the clients saw, second by second: v1 and v2 together (the steps), then v2 alone; v3 never
    // answered (its share failed while the rejected step was live); once the abort was in place, clean v2.
    await eventually(async () => (clients.every((c) => c.lines.length > 0 && Object.keys(c.lines.at(-1)!.calls).join() === 'v2') ? true : undefined), 10_000, 250);
    for (const client of clients) {
      const windows = client.lines.map((w) => w.calls);
      expect(windows.some((w) => w.v1 && w.v2)).toBe(true);
      expect(windows.some((w) => w.v2 && !w.v1)).toBe(true);
      expect(windows.every((w) => !w.v3)).toBe(true);
      expect(Object.keys(windows.at(-1)!)).toEqual(['v2']);
      console.log(`${client.lines.length} one-second windows; the last five:`, JSON.stringify(windows.slice(-5)));
    }
  }, 240_000);
});

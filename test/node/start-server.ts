import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningEdge {
  base: string;
  port: number;
  stop(): Promise<void>;
  log(): string;
}

/** Starts `npm start`'s script on a free port with its own local D1, and waits for /healthz. */
export async function startEdge(port: number): Promise<RunningEdge> {
  const root = join(import.meta.dirname, '..', '..');
  const state = mkdtempSync(join(tmpdir(), 'xdsflare-test-'));
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, EDGE_PORT: String(port), EDGE_STATE_DIR: state },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
    rmSync(state, { recursive: true, force: true });
  };
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { base, port, stop, log: () => output };
    } catch {}
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the edge did not start on ${base}:\n${output}`);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devVarsPath } from '../../scripts/dev-vars.mjs';

export interface RunningEdge {
  base: string;
  port: number;
  /** The bridge's ports, read from its "bridge started" log line (when it runs). */
  bridge?: { adsPort: number; opsPort: number };
  stop(): Promise<void>;
  /** SIGKILL to the whole process group (wrangler, workerd): a crash, nothing flushed; the state directory is kept. */
  crash(): Promise<void>;
  log(): string;
}

export interface StartOptions {
  /** Extra environment (XDSFLARE_* for the bridge; XDSFLARE_NO_BRIDGE=1 runs the edge alone). */
  env?: Record<string, string>;
  /** A D1 state directory the caller owns (kept on stop, so the edge can be restarted on it). */
  stateDir?: string;
}

/**
 * Starts `npm start`'s script on a free port with its own local D1, and waits for /healthz (and, unless
 * disabled, for the bridge to be ready). The bridge listens on free ports, so test files run side by side.
 */
export async function startEdge(port: number, options: StartOptions = {}): Promise<RunningEdge> {
  const root = join(import.meta.dirname, '..', '..');
  const state = options.stateDir ?? mkdtempSync(join(tmpdir(), 'xdsflare-test-'));
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, EDGE_PORT: String(port), EDGE_STATE_DIR: state, XDSFLARE_ADS_ADDRESS: '127.0.0.1:0', XDSFLARE_OPS_ADDRESS: '127.0.0.1:0', ...options.env },
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
    if (!options.stateDir) rmSync(state, { recursive: true, force: true });
  };
  const crash = async () => {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
    await exited;
  };
  const withBridge = options.env?.XDSFLARE_NO_BRIDGE !== '1';
  const until = Date.now() + 90_000;
  let healthy = false;
  while (Date.now() < until) {
    try {
      healthy ||= (await fetch(`${base}/healthz`)).ok;
    } catch {}
    if (healthy && !withBridge) return { base, port, stop, crash, log: () => output };
    const started = /"msg":"bridge started".*?"ads":"[^"]*:(\d+)","ops":"[^"]*:(\d+)"/.exec(output);
    if (healthy && started) {
      const bridge = { adsPort: Number(started[1]), opsPort: Number(started[2]) };
      try {
        if ((await fetch(`http://127.0.0.1:${bridge.opsPort}/readyz`)).ok) return { base, port, bridge, stop, crash, log: () => output };
      } catch {}
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the control plane did not start on ${base}:\n${output}`);
}

/**
 * The edge's API as an admin calls it (the token of .dev.vars, read on each call since the test setup may
 * write it late): JSON bodies as JSON, strings as YAML; a non-2xx answer throws with its body.
 */
export function adminApi(base: () => string) {
  const token = () => /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(devVarsPath, 'utf8'))![1]!.trim();
  return async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body ? { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
}

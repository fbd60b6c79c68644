import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EchoClient } from './bridge-fixtures';

/** Debian's interpreter: python3-grpcio installs into it, not into a pyenv or venv python3 on PATH. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./ccore-echo-client.py', import.meta.url).href);

let checked: string | undefined;
/** gRPC C-core's version, or a clear failure saying what to install (never a silent skip). */
export function ccoreVersion(): string {
  if (checked) return checked;
  const probe = spawnSync(PYTHON, ['-c', 'import grpc; print(grpc.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`gRPC C-core for Python is missing: ${PYTHON} cannot import grpc (${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}). Install it with: apt-get install python3-grpcio`);
  }
  return (checked = probe.stdout.trim());
}

/** A gRPC error as grpc-js shapes it, so tests read `code` the same way for both clients. */
class CallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${details}`);
  }
}

/**
 * A proxyless gRPC C-core client (Python's grpcio) resolving `xds:///target` through the bridge at
 * adsPort, with the same bootstrap shape as xdsEchoClient's; calls go to a child process over stdin.
 */
export async function ccoreEchoClient(adsPort: number, target: string, nodeId: string, labels: Record<string, string> = {}, locality: { region?: string; zone?: string; sub_zone?: string } = {}): Promise<EchoClient> {
  ccoreVersion();
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, locality, metadata: { labels } },
  };
  const child = spawn(PYTHON, [SCRIPT, `xds:///${target}`], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap), GRPC_VERBOSITY: process.env.GRPC_VERBOSITY ?? 'ERROR' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending = new Map<number, { resolve: (who: string) => void; reject: (err: Error) => void }>();
  let exited: Error | undefined;
  let ready!: () => void;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the C-core client exited (${code}) before it started`)));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: boolean; id?: number; who?: string; code?: number; details?: string };
    if (msg.ready) return ready();
    const p = pending.get(msg.id!);
    pending.delete(msg.id!);
    if (msg.who !== undefined) p?.resolve(msg.who);
    else p?.reject(new CallError(msg.code!, msg.details ?? ''));
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`the C-core client exited (${code ?? signal})`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  await started;
  let next = 0;
  const call = (deadlineMs = 5000, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ id, deadline_ms: deadlineMs, headers })}\n`);
    });
  return { call, close: () => void child.stdin!.end() };
}

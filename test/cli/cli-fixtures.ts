import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureDevVars } from '../../scripts/dev-vars.mjs';

const root = join(import.meta.dirname, '..', '..');
export const CLI = join(root, 'dist', 'xdsflare.mjs');

let built = false;
/** Builds dist/xdsflare.mjs as `npm run build:cli` does (once per test file). */
export function buildCli(): void {
  if (built) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  built = true;
}

/** A port in 20000-40000 nothing listens on right now (test files run side by side). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The local admin token (.dev.vars), as npm start gives it to everyone. */
export const adminToken = () => ensureDevVars().adminToken!;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
}

/**
 * Runs the built CLI as a pipeline would: a child process, its environment (no CI variables of the
 * machine running the tests leak in), stdin, and its exit code.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...options.env };
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: options.cwd ?? root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** One REST CDS poll as Envoy makes it; `version` is the last version it accepted ('' for none). Returns the version served. */
export async function pollClusters(base: string, nodeId: string, version: string): Promise<string> {
  const res = await fetch(`${base}/v3/discovery:clusters`, {
    method: 'POST',
    headers: { host: 'xds_cluster', 'content-type': 'application/json' },
    body: JSON.stringify({ node: { id: nodeId, user_agent_name: 'envoy', metadata: { labels: {} } }, type_url: CDS, version_info: version }),
  });
  if (res.status === 304) return version;
  if (res.status !== 200) throw new Error(`CDS poll for ${nodeId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { version_info: string }).version_info;
}

/** An Envoy that accepts everything it is served, polling every 300 ms until stopped. */
export function startAckingPoller(base: string, nodeId: string): { stop(): Promise<void> } {
  let version = '';
  let running = true;
  const loop = (async () => {
    while (running) {
      version = await pollClusters(base, nodeId, version).catch(() => version);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * A STATIC service `name.namespace.svc.cluster.local` on port 9080 with endpoints `<net>.1` (v1) and
 * `<net>.2` (v2), a DestinationRule with subsets v1 and v2, and a VirtualService whose http rules are `http`.
 */
export function twoSubsetMesh(name: string, namespace: string, net: string, http: string): string {
  const host = `${name}.${namespace}.svc.cluster.local`;
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${host}]
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: ${net}.1, labels: {version: v1}}, {address: ${net}.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  host: ${host}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${host}]
  http:
${http}
`;
}

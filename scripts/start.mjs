#!/usr/bin/env node
// `npm start`: the whole control plane on this machine. Creates .dev.vars with a random admin
// token when missing, applies D1 migrations to the local database, runs the edge API on
// wrangler dev (127.0.0.1:8787), and once it answers, the bridge beside it (ADS on 127.0.0.1:18000)
// with the same token. XDSFLARE_* variables set in the environment are passed to the bridge. The ports
// are checked first, so a second `npm start` says which one is taken instead of half starting.
// wrangler's lines for 304 answers (the bridge asks every second, Envoys poll) are left out unless
// EDGE_REQUEST_LOG=all.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ensureDevVars } from './dev-vars.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const host = process.env.EDGE_HOST ?? '127.0.0.1';
const port = process.env.EDGE_PORT ?? '8787';
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false' };
// EDGE_STATE_DIR keeps a separate local D1 (the benchmark uses one so it never touches yours).
const persist = process.env.EDGE_STATE_DIR ? ['--persist-to', process.env.EDGE_STATE_DIR] : [];

const withBridge = process.env.XDSFLARE_NO_BRIDGE !== '1';
const adsAddress = process.env.XDSFLARE_ADS_ADDRESS ?? '127.0.0.1:18000';
const opsAddress = process.env.XDSFLARE_OPS_ADDRESS ?? '127.0.0.1:18001';

/** Why host:port cannot be listened on (taken, say), or undefined when it can. Port 0 is always free. */
function unavailable(hostname, p) {
  if (Number(p) === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const s = createServer()
      .once('error', (err) => resolve(err.code === 'EADDRINUSE' ? 'in use (another npm start?)' : err.message))
      .listen(Number(p), hostname, () => s.close(() => resolve(undefined)));
  });
}
const splitAddress = (a) => [a.slice(0, a.lastIndexOf(':')), a.slice(a.lastIndexOf(':') + 1)];
const ports = [[`edge API ${host}:${port} (EDGE_HOST, EDGE_PORT)`, host, port]];
if (withBridge) ports.push([`bridge ADS ${adsAddress} (XDSFLARE_ADS_ADDRESS)`, ...splitAddress(adsAddress)], [`bridge ops ${opsAddress} (XDSFLARE_OPS_ADDRESS)`, ...splitAddress(opsAddress)]);
const taken = (await Promise.all(ports.map(async ([what, h, p]) => [what, await unavailable(h, p)]))).filter(([, why]) => why);
if (taken.length) {
  for (const [what, why] of taken) console.error(`npm start: cannot listen on the ${what}: ${why}`);
  console.error('nothing was started; stop the other control plane, or choose other ports with the variables named');
  process.exit(1);
}

const { created, adminToken } = ensureDevVars();
if (created) console.log('created .dev.vars with a new admin token');

const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', ...persist], { cwd: root, env: { ...env, CI: 'true' }, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-bridge.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const descriptors = spawnSync(process.execPath, [join(root, 'scripts', 'build-envoy-descriptors.mjs')], { cwd: root, stdio: 'inherit' });
if (descriptors.status !== 0) process.exit(descriptors.status ?? 1);

const children = [];
const quiet304 = process.env.EDGE_REQUEST_LOG !== 'all';
const edge = spawn(wrangler, ['dev', '--ip', host, '--port', port, '--show-interactive-dev-session=false', ...persist], { cwd: root, env, stdio: quiet304 ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
children.push(edge);
if (quiet304) {
  // "[wrangler:info] POST /api/v1/snapshots 304 Not Modified (2ms)": one a second per bridge, and per REST poll.
  const unchanged = / 304 Not Modified \(/;
  for (const [from, to] of [[edge.stdout, process.stdout], [edge.stderr, process.stderr]]) {
    createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => unchanged.test(line) || to.write(`${line}\n`));
  }
}
const edgeUrl = `http://${host}:${port}`;

const stop = (signal) => children.forEach((c) => c.kill(signal));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
edge.on('exit', (code) => {
  stop('SIGTERM');
  process.exit(code ?? 0);
});

if (!withBridge) {
  console.log(`\nedge API:    ${edgeUrl}  (REST xDS: POST /v3/discovery:*)\nadmin token: ${adminToken ?? '(see .dev.vars)'}\n`);
  await new Promise(() => {});
}

// The bridge starts once the edge answers, so its first fetch succeeds instead of backing off.
for (let i = 0; i < 600; i++) {
  try {
    if ((await fetch(`${edgeUrl}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 200));
}
const bridgeEnv = {
  XDSFLARE_ADS_ADDRESS: adsAddress,
  XDSFLARE_OPS_ADDRESS: opsAddress,
  XDSFLARE_STATE_FILE: join(process.env.EDGE_STATE_DIR ?? join(root, '.wrangler', 'state'), 'bridge-snapshot.json'),
  // Out of the box on one machine: plaintext ADS, loudly logged by the bridge. Set TLS files (and this to false) for anything else.
  ...(process.env.XDSFLARE_ADS_TLS_CERT_FILE ? {} : { XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true' }),
  ...process.env,
  XDSFLARE_EDGE_URL: edgeUrl,
  XDSFLARE_TOKEN: adminToken ?? '',
  XDSFLARE_DESCRIPTORS: join(root, 'build', 'envoy-descriptors.binpb'),
};
const bridge = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'bridge.mjs')], { cwd: root, env: bridgeEnv, stdio: 'inherit' });
children.push(bridge);
bridge.on('exit', (code, signal) => {
  if (!signal) console.error(`the bridge exited with code ${code}`);
});

console.log(`\nedge API:    ${edgeUrl}  (REST xDS: POST /v3/discovery:*)`);
console.log(`bridge ADS:  ${bridgeEnv.XDSFLARE_ADS_ADDRESS}  (gRPC ADS, state of the world and delta)`);
console.log(`bridge ops:  http://${bridgeEnv.XDSFLARE_OPS_ADDRESS}  (/healthz, /readyz, /metrics)`);
console.log(`admin token: ${adminToken ?? '(see .dev.vars)'}\n`);

// The edge half of `npm run bench`: measures the edge API as `npm start` runs it (wrangler dev + local
// D1), in one run so the figures are comparable: an unchanged REST poll (304) next to a trivial route of
// the same Worker, and a full CDS poll (200) with 1,000 clusters. Prints a Markdown table.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './load.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = process.env.BENCH_PORT ?? '8797';
const base = `http://127.0.0.1:${port}`;
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1000);
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

function manifest(n) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    docs.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: `svc-${i}`, namespace: 'bench' },
      spec: {
        hosts: [`svc-${i}.bench.svc.cluster.local`],
        location: 'MESH_INTERNAL',
        resolution: 'STATIC',
        ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
        endpoints: [{ address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }],
      },
    });
  }
  return docs;
}

// A node as big as a real Envoy's: it lists every compiled-in extension in every poll (xds-protocol.md §1.3).
const extensions = Array.from({ length: 200 }, (_, i) => ({ name: `envoy.extension.number_${i}`, category: `envoy.category_${i % 20}`, type_urls: [`type.googleapis.com/envoy.extensions.sample.v3.Config${i}`] }));
const node = { id: 'bench-envoy', cluster: 'bench', user_agent_name: 'envoy', user_agent_build_version: { version: { major_number: 1, minor_number: 36 } }, metadata: { labels: { app: 'bench' } }, extensions };
const requestBytes = JSON.stringify({ version_info: 'x'.repeat(16), node, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }).length;
const poll = (versionInfo, target = base) => () =>
  fetch(`${target}/v3/discovery:clusters`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: 'xds_cluster' },
    body: JSON.stringify({ ...(versionInfo ? { version_info: versionInfo } : {}), node, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }),
  });

/** Runs the edge measurements, prints them, and stops wrangler and the floor server. Returns the failure count. */
export async function runEdge() {
  const state = mkdtempSync(join(tmpdir(), 'xdsflare-bench-'));
  const edge = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, EDGE_PORT: port, EDGE_STATE_DIR: state },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  edge.stdout.on('data', (d) => (log += d));
  edge.stderr.on('data', (d) => (log += d));
  // The client's own floor: a bare Node HTTP server in another process answering 304 to the same request.
  const floorPort = Number(port) + 1;
  const floor = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(304); s.end(); }); }).listen(${floorPort}, '127.0.0.1')`], { stdio: 'ignore', detached: true });
  const stop = () => {
    for (const child of [edge, floor]) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch {}
    }
    rmSync(state, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const exited = new Promise((resolve) => edge.once('exit', resolve));
  try {
    return await measureEdge(() => log, floorPort);
  } finally {
    stop();
    process.off('exit', stop);
    // Let wrangler and workerd go before anything else is measured on the same cores.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
}

async function waitUntilUp(log, deadlineMs = 60_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`edge did not start on ${base}\n${log()}`);
}

async function measureEdge(log, floorPort) {
  await waitUntilUp(log);
  const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))?.[1]?.trim();
  const applied = await fetch(`${base}/api/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(manifest(CLUSTERS)),
  });
  if (!applied.ok) throw new Error(`apply failed: ${applied.status} ${await applied.text()}`);
  const first = await poll('')();
  const cds = await first.json();
  if (cds.resources?.length !== CLUSTERS) throw new Error(`expected ${CLUSTERS} clusters, got ${cds.resources?.length}`);

  // Warm up every path once, then measure each side by side in the same run.
  await measure({ name: 'warm-up', total: 200, concurrency: 4, request: () => fetch(`${base}/healthz`), expectStatus: 200 });
  await measure({ name: 'warm-up', total: 200, concurrency: 4, request: poll(cds.version_info), expectStatus: 304 });
  const results = [];
  results.push(await measure({ name: 'bare Node HTTP server answering 304 (client floor)', total: TOTAL, concurrency: CONCURRENCY, request: poll(cds.version_info, `http://127.0.0.1:${floorPort}`), expectStatus: 304 }));
  results.push(await measure({ name: 'GET /healthz (trivial route)', total: TOTAL, concurrency: CONCURRENCY, request: () => fetch(`${base}/healthz`), expectStatus: 200 }));
  results.push(await measure({ name: `CDS poll, unchanged (304), ${CLUSTERS} clusters`, total: TOTAL, concurrency: CONCURRENCY, request: poll(cds.version_info), expectStatus: 304 }));
  results.push(await measure({ name: `CDS poll, full (200), ${CLUSTERS} clusters`, total: Math.max(200, TOTAL / 10), concurrency: CONCURRENCY, request: poll(''), expectStatus: 200 }));

  const fmt = (n, d = 1) => n.toFixed(d);
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version} · wrangler dev (workerd, local D1)\n`);
  console.log('| measurement | requests | concurrency | req/s | p50 ms | p99 ms | body bytes | failures |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.name} | ${r.requests} | ${r.concurrency} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.meanBytes, 0)} | ${r.failures} |`);
  const [, trivial, unchanged] = results;
  console.log(`\nEach poll sends a ${requestBytes}-byte DiscoveryRequest (a node listing 200 extensions, as Envoy's does).`);
  console.log(`\n304 poll vs trivial route: throughput ${fmt(unchanged.rps / trivial.rps, 2)}×, p50 latency ${fmt(unchanged.p50 / trivial.p50, 2)}×`);
  return results.reduce((n, r) => n + r.failures, 0);
}

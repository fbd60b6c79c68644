// The scale envelope of `npm run bench` (`--only scale`): the issue's mesh (bench/scale-mesh.ts: per
// service a STATIC ServiceEntry with 2 endpoints, a DestinationRule v1/v2, a VirtualService 90/10) at
// 1,000, 5,000, 10,000 and 20,000 services (BENCH_SCALE_SIZES), every figure measured in this one run.
// Per size, on its own state dir, through `npm start`'s edge (scripts/start.mjs: wrangler dev, local D1
// and R2, no bridge):
//   1. the whole mesh in one POST /api/v1/apply (time; the commit's cost line from wrangler's output);
//   2. a REST Envoy's first polls: CDS, LDS, then one RDS per route_config_name in the LDS answer (polls
//      per refresh, bytes per proxy);
//   3. GET /healthz (trivial route) against an unchanged CDS poll (304), side by side;
//   4. BENCH_SCALE_WRITES (30) one-object writes (PATCH of a VirtualService's weights), one at a time:
//      p50/p99, and the D1 rows read and written per write from each commit's cost line;
//   5. cold isolate: wrangler dev restarted on the same state dir, the first CDS poll timed (a) as soon as
//      wrangler says it is ready, (b) after /healthz answers; BENCH_SCALE_COLD_RUNS restarts each (3), median;
//   6. heap, in Node (bench/scale-heap.ts, bundled): a one-object write and a cold isolate's serving, on a
//      copy of the state dir, and the whole-mesh apply (the manifest text through the API's applyManifest,
//      batched, with prune) on a fresh one, all under --max-old-space-size=128, the apply at the sizes in
//      BENCH_SCALE_HEAP_APPLY (default: every size);
//   7. last (it turns writes into full compiles): a namespace-wide Sidecar in `scale`, and the bytes a
//      proxy of that namespace gets with it.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ensureDevVars } from '../scripts/dev-vars.mjs';
import { measure } from './load.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = process.env.BENCH_PORT ?? '8797';
const base = `http://127.0.0.1:${port}`;
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000,5000,10000,20000').split(',').map(Number);
const WRITES = Number(process.env.BENCH_SCALE_WRITES ?? 30);
const COLD_RUNS = Number(process.env.BENCH_SCALE_COLD_RUNS ?? 3);
const POLLS = Number(process.env.BENCH_SCALE_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const HEAP_APPLY = (process.env.BENCH_SCALE_HEAP_APPLY ?? SIZES.join(',')).split(',').filter(Boolean).map(Number);
const log = (...a) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}]`, ...a);

// The mesh is TypeScript; bundle it (and the heap harness) once with esbuild.
async function bundle(dir) {
  const { build } = await import('esbuild');
  const common = { bundle: true, platform: 'node', target: 'node24', format: 'esm', logLevel: 'warning', banner: { js: "import { createRequire as __xdsflareRequire } from 'node:module'; const require = __xdsflareRequire(import.meta.url);" } };
  await build({ ...common, entryPoints: [join(root, 'bench', 'scale-mesh.ts')], outfile: join(dir, 'scale-mesh.mjs') });
  // Envoy's descriptors as bytes, as wrangler bundles them (a Data module); miniflare resolved from the repo.
  await build({ ...common, entryPoints: [join(root, 'bench', 'scale-heap.ts')], outfile: join(dir, 'scale-heap.mjs'), external: ['miniflare'], loader: { '.binpb': 'binary' } });
  return { mesh: await import(join(dir, 'scale-mesh.mjs')), heap: join(dir, 'scale-heap.mjs') };
}

const extensions = Array.from({ length: 200 }, (_, i) => ({ name: `envoy.extension.number_${i}`, category: `envoy.category_${i % 20}`, type_urls: [`type.googleapis.com/envoy.extensions.sample.v3.Config${i}`] }));
const nodeOf = (namespace) => ({ id: `bench-envoy${namespace ? `-${namespace}` : ''}`, cluster: 'bench', user_agent_name: 'envoy', user_agent_build_version: { version: { major_number: 1, minor_number: 36 } }, metadata: { labels: { app: 'bench' }, ...(namespace ? { NAMESPACE: namespace } : {}) }, extensions });
const TYPES = { clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener', routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' };
const discovery = (type, { versionInfo = '', names, node = nodeOf() } = {}) =>
  fetch(`${base}/v3/discovery:${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: 'xds_cluster' },
    body: JSON.stringify({ ...(versionInfo ? { version_info: versionInfo } : {}), node, type_url: TYPES[type], ...(names ? { resource_names: names } : {}) }),
  });

/**
 * A CDS poll read as Envoy reads it: bytes counted as they arrive, nothing decoded. Timed with node:http,
 * not fetch: undici's body reading runs at ~100 MB/s here (13 MB from a trivial Worker through wrangler
 * dev: fetch 140–170 ms, node:http 35–50 ms, curl 25–45 ms), which would time the client, not the edge.
 */
function rawPoll(type, node = nodeOf()) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const data = Buffer.from(JSON.stringify({ node, type_url: TYPES[type] }));
    const req = httpRequest(`${base}/v3/discovery:${type}`, { method: 'POST', headers: { 'content-type': 'application/json', host: 'xds_cluster', 'content-length': data.length } }, (res) => {
      const headersMs = performance.now() - t0;
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, headersMs, status: res.statusCode, bytes }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A request without fetch's 300 s headers timeout (a 20,000-service apply may take minutes). */
function call(method, path, token, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = httpRequest(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': data.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(0);
    req.on('error', reject);
    req.end(data);
  });
}

/** A REST Envoy's first round of polls: CDS, LDS, one RDS per route_config_name. */
async function envoyRound(node) {
  const cds = await discovery('clusters', { node });
  const cdsText = await cds.text();
  const lds = await discovery('listeners', { node });
  const ldsText = await lds.text();
  if (cds.status !== 200 || lds.status !== 200) throw new Error(`first polls: CDS ${cds.status}, LDS ${lds.status}: ${ldsText.slice(0, 300)}`);
  const routeNames = [...new Set([...ldsText.matchAll(/"route_config_name":"([^"]+)"/g)].map((m) => m[1]))];
  let rdsBytes = 0;
  for (const name of routeNames) {
    const rds = await discovery('routes', { node, names: [name] });
    const text = await rds.text();
    if (rds.status !== 200) throw new Error(`RDS ${name}: ${rds.status}`);
    rdsBytes += Buffer.byteLength(text);
  }
  const cdsJson = JSON.parse(cdsText);
  return {
    polls: 2 + routeNames.length,
    routeConfigs: routeNames.length,
    clusters: cdsJson.resources.length,
    cdsVersion: cdsJson.version_info,
    bytes: { cds: Buffer.byteLength(cdsText), lds: Buffer.byteLength(ldsText), rds: rdsBytes, total: Buffer.byteLength(cdsText) + Buffer.byteLength(ldsText) + rdsBytes },
  };
}

function startEdge(state) {
  const edge = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, EDGE_PORT: port, EDGE_STATE_DIR: state, XDSFLARE_NO_BRIDGE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const e = { proc: edge, out: '', exited: new Promise((r) => edge.once('exit', r)) };
  edge.stdout.on('data', (d) => (e.out += d));
  edge.stderr.on('data', (d) => (e.out += d));
  return e;
}
async function stopEdge(e) {
  try { process.kill(-e.proc.pid, 'SIGTERM'); } catch {}
  await Promise.race([e.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
  try { process.kill(-e.proc.pid, 'SIGKILL'); } catch {}
}
async function until(what, check, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const healthy = async () => {
  try { return (await fetch(`${base}/healthz`)).ok; } catch { return false; }
};
/** The commit cost lines wrangler printed after offset `from`. */
const costsIn = (text) => [...text.matchAll(/^.*"msg":"revision committed".*$/gm)].map((m) => JSON.parse(m[0].slice(m[0].indexOf('{'))));

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs) => pct(xs, 50);

function heapRun(heap, phase, services, dir, limitMb, profileDir) {
  // BENCH_SCALE_PROFILE=<dir>: the write phase also writes a CPU profile there (node --cpu-prof).
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `write-${services}.cpuprofile`] : [];
  const r = spawnSync(process.execPath, ['--expose-gc', '--trace-gc', ...profile, `--max-old-space-size=${limitMb}`, heap, phase, String(services), dir], { cwd: root, env: { ...process.env, XDSFLARE_ROOT: root }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{"phase"'));
  if (!line) return { phase, services, failed: `exit ${r.status}${r.signal ? ` ${r.signal}` : ''}: ${(r.stderr || r.stdout).split('\n').filter((l) => /heap|Error|error/.test(l)).slice(0, 3).join(' | ').slice(0, 300)}`, limitMb };
  const out = JSON.parse(line);
  // Used heap before each GC inside the phase's window (V8's own count, MB = 2^20 bytes).
  let gcPeak = 0;
  for (const m of r.stdout.matchAll(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: [^\d]*?([\d.]+) \([\d.]+\) ->/gm)) {
    const at = Number(m[1]);
    if (at >= out.window[0] && at <= out.window[1]) gcPeak = Math.max(gcPeak, Number(m[2]));
  }
  const peakMB = Math.max(out.sampledPeakMB, gcPeak);
  return { ...out, gcPeakMB: gcPeak, peakMB, peakAboveHarnessMB: Math.round((peakMB - out.harnessMB) * 10) / 10, peakAboveBaselineMB: Math.round((peakMB - out.baselineMB) * 10) / 10, limitMb };
}

async function measureSize(n, mesh, heap, token) {
  const state = mkdtempSync(join(tmpdir(), `xdsflare-scale-${n}-`));
  const r = { n };
  try {
    // 1. the whole mesh, one apply
    let edge = startEdge(state);
    await until('the edge', healthy);
    const body = JSON.stringify(mesh.meshManifest(0, n));
    r.manifestBytes = body.length;
    let t0 = performance.now();
    const applied = await call('POST', '/api/v1/apply', token, body);
    r.applyMs = performance.now() - t0;
    if (applied.status >= 300) throw new Error(`apply ${n}: ${applied.status} ${applied.text.slice(0, 500)}`);
    r.applyCost = costsIn(edge.out).at(-1)?.cost;
    log(`${n}: applied in ${(r.applyMs / 1000).toFixed(1)} s`, JSON.stringify(r.applyCost));

    // 2. a REST Envoy's first round
    const round = await envoyRound(nodeOf());
    r.round = round;
    if (round.clusters !== 3 * n) throw new Error(`expected ${3 * n} clusters, got ${round.clusters}`);
    r.bytesNamespaceNoSidecar = (await envoyRound(nodeOf('scale'))).bytes.total;

    // 3. trivial route vs unchanged poll
    const poll = () => discovery('clusters', { versionInfo: round.cdsVersion });
    await measure({ name: 'warm-up', total: 200, concurrency: 4, request: () => fetch(`${base}/healthz`), expectStatus: 200 });
    await measure({ name: 'warm-up', total: 200, concurrency: 4, request: poll, expectStatus: 304 });
    // Interleaved in 4 rounds each (so neither side gets a quieter moment of the machine), median of the rounds.
    const rounds = { trivial: [], unchanged: [] };
    for (let k = 0; k < 4; k++) {
      rounds.trivial.push(await measure({ name: 'GET /healthz', total: POLLS / 4, concurrency: CONCURRENCY, request: () => fetch(`${base}/healthz`), expectStatus: 200 }));
      rounds.unchanged.push(await measure({ name: 'CDS 304', total: POLLS / 4, concurrency: CONCURRENCY, request: poll, expectStatus: 304 }));
    }
    const mid = (xs) => ({ p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), rps: median(xs.map((x) => x.rps)), failures: xs.reduce((a, x) => a + x.failures, 0), rounds: xs.map((x) => Math.round(x.p50 * 100) / 100) });
    r.trivial = mid(rounds.trivial);
    r.unchanged = mid(rounds.unchanged);
    log(`${n}: healthz p50 ${r.trivial.p50.toFixed(1)} ms, 304 p50 ${r.unchanged.p50.toFixed(1)} ms`);

    // 4. one-object writes
    const writes = [];
    const mark = edge.out.length;
    for (let j = 0; j < WRITES; j++) {
      const i = Math.floor(((j + 0.5) * n) / WRITES);
      const w = 60 + (j % 30);
      const vs = mesh.serviceObjects(i, 'scale', [w, 100 - w])[2];
      t0 = performance.now();
      const res = await call('PATCH', `/api/v1/namespaces/scale/virtualservices/svc-${i}`, token, JSON.stringify({ spec: vs.spec }), 'application/merge-patch+json');
      writes.push(performance.now() - t0);
      if (res.status >= 300) throw new Error(`write ${j}: ${res.status} ${res.text.slice(0, 300)}`);
    }
    await new Promise((res) => setTimeout(res, 200));
    const costs = costsIn(edge.out.slice(mark)).map((c) => c.cost);
    r.writes = { p50: median(writes), p99: pct(writes, 99), max: Math.max(...writes), count: writes.length, costs: costs.length };
    const field = (k) => ({ median: median(costs.map((c) => c[k])), max: Math.max(...costs.map((c) => c[k])) });
    r.writeCost = { modes: [...new Set(costs.map((c) => c.mode))], rowsRead: field('d1RowsRead'), rowsWritten: field('d1RowsWritten'), queries: field('d1Queries'), translated: field('objectsTranslated'), blobsRead: field('blobsRead'), blobsWritten: field('blobsWritten') };
    log(`${n}: writes p50 ${r.writes.p50.toFixed(0)} ms p99 ${r.writes.p99.toFixed(0)} ms`, JSON.stringify(r.writeCost));
    await stopEdge(edge);

    // the heap runs' own copy of this state (before the Sidecar)
    const heapState = mkdtempSync(join(tmpdir(), `xdsflare-scale-heap-${n}-`));
    cpSync(join(state, 'v3'), heapState, { recursive: true });

    // 5. cold isolate: (a) first request is the poll, (b) after /healthz; COLD_RUNS restarts each, the
    // median run reported (one cold start is one sample, and these machines are shared).
    r.cold = {};
    for (const mode of ['no warm-up', 'after /healthz']) {
      const runs = [];
      for (let k = 0; k < COLD_RUNS; k++) {
        edge = startEdge(state);
        if (mode === 'no warm-up') await until('wrangler ready', () => /Ready on/.test(edge.out));
        else await until('the edge', healthy);
        t0 = performance.now();
        let first;
        for (;;) {
          try { first = await rawPoll('clusters'); break; } catch { if (performance.now() - t0 > 60_000) throw new Error('cold poll never answered'); await new Promise((r2) => setTimeout(r2, 5)); }
        }
        // Timed from the first attempt: connection refusals while wrangler comes up count against it.
        const sinceFirstTry = performance.now() - t0;
        const run = { ...first, ms: sinceFirstTry, headersMs: sinceFirstTry - first.ms + first.headersMs };
        // The same answer again from the now-warm isolate: what the bytes alone cost.
        const again = await rawPoll('clusters');
        runs.push({ ...run, warmMs: again.ms, warmHeadersMs: again.headersMs });
        // The last run of the last mode leaves the edge up for the Sidecar step.
        if (mode === 'no warm-up' || k < COLD_RUNS - 1) await stopEdge(edge);
      }
      const mid = sorted(runs.map((x) => x.ms))[Math.floor((runs.length - 1) / 2)];
      r.cold[mode] = { ...runs.find((x) => x.ms === mid), runs: runs.map((x) => Math.round(x.ms)) };
    }
    log(`${n}: cold first CDS poll`, JSON.stringify(r.cold));

    // 7. a namespace-wide Sidecar in scale: what a proxy of the namespace gets (and what the Sidecar write costs)
    const sidecar = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'scale' }, spec: { egress: [{ hosts: ['./svc-1.scale.svc.cluster.local', 'istio-system/*'] }] } };
    const mark2 = edge.out.length;
    t0 = performance.now();
    const sc = await call('POST', '/api/v1/apply', token, JSON.stringify([sidecar]));
    r.sidecarApplyMs = performance.now() - t0;
    if (sc.status >= 300) throw new Error(`sidecar: ${sc.status} ${sc.text.slice(0, 300)}`);
    await new Promise((res) => setTimeout(res, 200));
    r.sidecarCost = costsIn(edge.out.slice(mark2)).at(-1)?.cost;
    await new Promise((res) => setTimeout(res, 1100)); // past the freshness window
    const scoped = await envoyRound(nodeOf('scale'));
    r.bytesSidecar = scoped.bytes.total;
    r.sidecarClusters = scoped.clusters;
    r.sidecarPolls = scoped.polls;
    log(`${n}: sidecar bytes ${r.bytesSidecar} (clusters ${scoped.clusters}) vs ${r.bytesNamespaceNoSidecar}`);
    await stopEdge(edge);

    // 6. heap (Node, same modules), on the copy
    r.heapWrite = heapRun(heap, 'write', n, heapState, 128, process.env.BENCH_SCALE_PROFILE);
    r.heapServe = heapRun(heap, 'serve', n, heapState, 128);
    rmSync(heapState, { recursive: true, force: true });
    if (HEAP_APPLY.includes(n)) {
      const fresh = mkdtempSync(join(tmpdir(), `xdsflare-scale-heap-apply-${n}-`));
      r.heapApply = heapRun(heap, 'apply', n, fresh, 128);
      rmSync(fresh, { recursive: true, force: true });
    }
    log(`${n}: heap`, JSON.stringify({ write: r.heapWrite, serve: r.heapServe, apply: r.heapApply }));
  } catch (err) {
    r.error = String(err?.stack ?? err);
    log(`${n}: FAILED`, r.error);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
  return r;
}

const f0 = (x) => (x === undefined ? '–' : Number(x).toFixed(0));
const f1 = (x) => (x === undefined ? '–' : Number(x).toFixed(1));
const f2 = (x) => (x === undefined ? '–' : Number(x).toFixed(2));
const kb = (x) => (x === undefined ? '–' : (x / 1024).toFixed(0) + ' KiB');
const mbOf = (h) => (!h ? '–' : h.failed ? `failed (${h.limitMb} MB limit: ${h.failed})` : `${f1(h.peakMB)} (ours ${f1(h.peakAboveHarnessMB)})`);
const met = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

function report(results) {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const wrangler = JSON.parse(readFileSync(join(root, 'node_modules/wrangler/package.json'), 'utf8')).version;
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${commit} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version} · wrangler ${wrangler} dev (workerd, local D1 + R2)\n`);
  const col = (name, fn) => `| ${name} | ${results.map((r) => (r.error && fn(r) === undefined ? 'failed' : fn(r) ?? '–')).join(' | ')} |`;
  console.log(`| services | ${results.map((r) => r.n.toLocaleString('en-US')).join(' | ')} |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|`);
  const rows = [
    ['manifest (JSON bytes)', (r) => r.manifestBytes && `${(r.manifestBytes / 2 ** 20).toFixed(1)} MiB`],
    ['whole-mesh apply, one POST (s)', (r) => r.applyMs && f1(r.applyMs / 1000)],
    ['  its D1 rows read / written', (r) => r.applyCost && `${r.applyCost.d1RowsRead} / ${r.applyCost.d1RowsWritten}`],
    ['  its mode, batches, D1 queries', (r) => r.applyCost && `${r.applyCost.mode}, ${r.applyCost.batches ?? '–'}, ${r.applyCost.d1Queries}`],
    ['one-object write p50 / p99 (ms)', (r) => r.writes && `${f0(r.writes.p50)} / ${f0(r.writes.p99)}`],
    ['  compile mode; objects translated (median)', (r) => r.writeCost && `${r.writeCost.modes.join('+')}; ${r.writeCost.translated.median}`],
    ['  D1 rows read per write (median / max)', (r) => r.writeCost && `${r.writeCost.rowsRead.median} / ${r.writeCost.rowsRead.max}`],
    ['  D1 rows written per write (median / max)', (r) => r.writeCost && `${r.writeCost.rowsWritten.median} / ${r.writeCost.rowsWritten.max}`],
    ['  D1 queries; R2 gets / puts per write (median)', (r) => r.writeCost && `${r.writeCost.queries.median}; ${r.writeCost.blobsRead.median} / ${r.writeCost.blobsWritten.median}`],
    [`cold isolate first CDS poll, no warm-up (ms; median of ${COLD_RUNS} restarts, all runs)`, (r) => r.cold?.['no warm-up'] && `${f0(r.cold['no warm-up'].ms)} (${r.cold['no warm-up'].runs.join(', ')})`],
    [`cold isolate first CDS poll, after /healthz (ms; same)`, (r) => r.cold?.['after /healthz'] && `${f0(r.cold['after /healthz'].ms)} (${r.cold['after /healthz'].runs.join(', ')})`],
    ['  its headers (ms), no warm-up / after /healthz', (r) => r.cold?.['after /healthz'] && `${f0(r.cold['no warm-up'].headersMs)} / ${f0(r.cold['after /healthz'].headersMs)}`],
    ['  the same poll again, warm: whole / headers (ms)', (r) => r.cold?.['after /healthz'] && `${f0(r.cold['after /healthz'].warmMs)} / ${f0(r.cold['after /healthz'].warmHeadersMs)}`],
    ['  CDS answer bytes', (r) => r.cold?.['after /healthz'] && kb(r.cold['after /healthz'].bytes)],
    ['GET /healthz p50 (ms; median of 4 interleaved rounds)', (r) => r.trivial && f2(r.trivial.p50)],
    ['CDS poll unchanged (304) p50 (ms; same)', (r) => r.unchanged && f2(r.unchanged.p50)],
    ['  304 / trivial: p50; throughput', (r) => r.unchanged && `${f2(r.unchanged.p50 / r.trivial.p50)}×; ${f2(r.unchanged.rps / r.trivial.rps)}×`],
    ['REST polls per Envoy per refresh (CDS + LDS + RDS)', (r) => r.round && `${r.round.polls} (2 + ${r.round.routeConfigs})`],
    ['bytes per proxy, no Sidecar (CDS + LDS + RDS)', (r) => r.round && `${kb(r.round.bytes.total)} (${kb(r.round.bytes.cds)} + ${kb(r.round.bytes.lds)} + ${kb(r.round.bytes.rds)})`],
    ['bytes per proxy, namespace scale, with the Sidecar', (r) => r.bytesSidecar && `${kb(r.bytesSidecar)} (${r.sidecarClusters} clusters)`],
    ['  Sidecar apply (s); mode, objects translated', (r) => r.sidecarCost && `${f1(r.sidecarApplyMs / 1000)}; ${r.sidecarCost.mode}, ${r.sidecarCost.objectsTranslated}`],
    ['peak heap, one-object write (MB, 128 MB limit)', (r) => r.heapWrite && mbOf(r.heapWrite)],
    ['peak heap, cold serving CDS+LDS+RDS (MB, 128 MB limit)', (r) => r.heapServe && mbOf(r.heapServe)],
    ['peak heap, whole-mesh apply with prune, batched (MB, 128 MB limit)', (r) => (r.heapApply ? mbOf(r.heapApply) : undefined)],
  ];
  for (const [name, fn] of rows) console.log(col(name, fn));

  const at = (n) => results.find((r) => r.n === n);
  const [r1k, r10k, r20k] = [at(1000), at(10000), at(20000)];
  const goals = [];
  if (r10k?.writes) goals.push(`one-object write at 10,000, p50 ≤ 500 ms: ${f0(r10k.writes.p50)} ms — ${met(r10k.writes.p50 <= 500)}`);
  if (r1k?.writes && r20k?.writes) goals.push(`write p50 at 20,000 ≤ 1.5× at 1,000: ${f2(r20k.writes.p50 / r1k.writes.p50)}× (${f0(r20k.writes.p50)} / ${f0(r1k.writes.p50)} ms) — ${met(r20k.writes.p50 <= 1.5 * r1k.writes.p50)}`);
  if (r10k?.cold) goals.push(`cold isolate first CDS poll at 10,000 ≤ 300 ms: ${f0(r10k.cold['no warm-up']?.ms)} ms without warm-up, ${f0(r10k.cold['after /healthz']?.ms)} ms after /healthz; translations: ${r10k.heapServe?.publishedView ? '0 (served from the published view)' : 'not shown'} — ${met(r10k.cold['after /healthz']?.ms <= 300)} (after /healthz), ${met(r10k.cold['no warm-up']?.ms <= 300)} (no warm-up)`);
  goals.push(`REST polls per Envoy per refresh = 2 + route configurations: ${results.map((r) => r.round && `${r.round.polls} = 2 + ${r.round.routeConfigs}`).filter(Boolean).join(', ')} — ${met(results.every((r) => !r.round || r.round.polls === 2 + r.round.routeConfigs))}`);
  if (r20k?.heapWrite && !r20k.heapWrite.failed) goals.push(`heap ≤ 64 MB for a write at 20,000: ${f1(r20k.heapWrite.peakMB)} MB peak (ours ${f1(r20k.heapWrite.peakAboveHarnessMB)}) — ${met(r20k.heapWrite.peakMB <= 64)} (whole heap), ${met(r20k.heapWrite.peakAboveHarnessMB <= 64)} (above the harness)`);
  if (r20k?.heapServe && !r20k.heapServe.failed) goals.push(`heap ≤ 32 MB for serving at 20,000: ${f1(r20k.heapServe.peakMB)} MB peak (ours ${f1(r20k.heapServe.peakAboveHarnessMB)}) — ${met(r20k.heapServe.peakMB <= 32)} (whole heap), ${met(r20k.heapServe.peakAboveHarnessMB <= 32)} (above the harness)`);
  if (r20k?.heapApply) goals.push(`heap ≤ 64 MB for the whole-mesh apply at 20,000: ${r20k.heapApply.failed ? `failed (${r20k.heapApply.failed.slice(0, 120)})` : `${f1(r20k.heapApply.peakMB)} MB peak (ours ${f1(r20k.heapApply.peakAboveHarnessMB)}) — ${met(r20k.heapApply.peakMB <= 64)} (whole heap), ${met(r20k.heapApply.peakAboveHarnessMB <= 64)} (above the harness)`}`);
  const ratios = results.filter((r) => r.unchanged).map((r) => r.unchanged.p50 / r.trivial.p50);
  if (ratios.length) goals.push(`unchanged poll within 1.05× the trivial route (p50): ${ratios.map(f2).join(', ')}× — ${met(ratios.every((x) => x <= 1.05))}`);
  console.log(`\nGoals:\n${goals.map((g) => `- ${g}`).join('\n')}`);
  for (const r of results) if (r.error) console.log(`\n${r.n} services failed: ${r.error.split('\n')[0]}`);
  console.log(`\n<details><summary>raw figures</summary>\n\n\`\`\`json\n${JSON.stringify(results, null, 1)}\n\`\`\`\n</details>`);
}

/** Runs the scale envelope and prints it. Returns the failure count. */
export async function runScale() {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-scale-bundle-'));
  const { mesh, heap } = await bundle(dir);
  // What start.mjs does first: .dev.vars (and its admin token) created when missing.
  const { adminToken: token } = ensureDevVars();
  const results = [];
  for (const n of SIZES) {
    log(`--- ${n} services`);
    results.push(await measureSize(n, mesh, heap, token));
  }
  rmSync(dir, { recursive: true, force: true });
  report(results);
  console.log(`\nscale envelope took ${((performance.now() - started) / 60_000).toFixed(1)} min`);
  return results.filter((r) => r.error).length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit((await runScale()) ? 1 : 0);

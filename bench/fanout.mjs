// The fan-out half of `npm run bench`: how long the bridge takes to get a new version ACKed by many
// ADS streams, next to a bare grpc-js server moving the same bytes to the same streams (the floor),
// plus the bridge's memory per idle stream and its encodes per version. Three processes: the bridge,
// the floor (bench/fanout-server.ts, bundled by esbuild, each with --expose-gc), and one client
// process holding every stream of both (bench/ads-clients.mjs). Each version is delivered by the
// bridge and by the floor back to back, so a neighbour's load on the shared cores falls on both.
// Prints Markdown.
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = (name, fallback) => Number(process.env[name] ?? fallback);
/** The best case: one node class, identical subscriptions, a small mesh; each version one weight and one endpoint. */
const BEST = { streams: env('BENCH_STREAMS', 1000), services: env('BENCH_SERVICES', 100), changes: env('BENCH_CHANGES', 7), classes: 1, procs: 1, kinds: ['both'] };
/**
 * The worst case beside it: 10,000 streams in several client processes, 10 node classes with views of
 * their own, 10,000 services (30,000 clusters), and one-endpoint and one-weight versions measured apart.
 * BENCH_WORST=0 leaves it out (BENCH_BEST=0 the best case); develop it small (BENCH_WORST_STREAMS=500 BENCH_WORST_SERVICES=500).
 */
const WORST = {
  streams: env('BENCH_WORST_STREAMS', 10_000),
  services: env('BENCH_WORST_SERVICES', 10_000),
  changes: env('BENCH_WORST_CHANGES', 3),
  classes: env('BENCH_WORST_CLASSES', 10),
  procs: env('BENCH_WORST_CLIENT_PROCS', 4),
  kinds: ['endpoint', 'weight'],
};
const descriptors = join(root, 'build', 'envoy-descriptors.binpb');

/** A child process spoken to over IPC: `ask` sends a command and waits for the reply event. */
function child(modulePath, execArgv = []) {
  const proc = fork(modulePath, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  const failures = [];
  proc.on('message', (m) => {
    if (m.event === 'failed') {
      failures.push(m.message);
      for (const w of waiting.splice(0)) w.reject(new Error(m.message));
      return;
    }
    const i = waiting.findIndex((w) => w.event === m.event);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
  });
  proc.on('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${modulePath} exited (${signal ?? code}) while waiting for ${w.event}`));
  });
  const wait = (event) => new Promise((resolve, reject) => waiting.push({ event, resolve, reject }));
  return {
    proc,
    wait,
    ask(message, event) {
      const reply = wait(event);
      proc.send(message);
      return reply;
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

async function bundleServer(dir) {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'fanout-server.mjs');
  await build({
    entryPoints: [join(root, 'bench', 'fanout-server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // Only the echo client of the test fixtures needs it, and the benchmark does not use that.
    external: ['@grpc/grpc-js-xds'],
    banner: { js: "import { createRequire as __xdsflareRequire } from 'node:module'; const require = __xdsflareRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);

/** One round's figures: p50, p99 and max over streams of each stream's last ACK, in ms since hand-over. */
function figures(result, clientTimes) {
  const client = clientTimes.map((t) => t - result.t0Epoch);
  return {
    p50: pct(result.perStream, 50),
    p99: pct(result.perStream, 99),
    max: Math.max(...result.perStream),
    clientP50: pct(client, 50),
    clientMax: Math.max(...client),
    perType: result.perType,
    streams: result.perStream.length,
  };
}

/** Runs the fan-out measurements (the best case, then the worst) and prints them. Returns the number of failed rounds. */
export async function runFanout() {
  let failed = process.env.BENCH_BEST === '0' ? 0 : await measure(BEST, printBest);
  if (process.env.BENCH_WORST !== '0') failed += await measure(WORST, printWorst);
  return failed;
}

/** Client processes holding `streams` streams between them, asked as one. */
function clientProcs(n, children) {
  const procs = Array.from({ length: n }, () => child(join(root, 'bench', 'ads-clients.mjs'), ['--max-old-space-size=4096']));
  children.push(...procs);
  return {
    async open(group, port, streams, classes) {
      const per = Math.ceil(streams / n);
      // One process at a time: each opens its streams in batches, and all at once would overrun the server's accept queue.
      for (const [i, c] of procs.entries()) await c.ask({ cmd: 'open', group, port, streams: Math.max(0, Math.min(per, streams - i * per)), offset: i * per, classes, descriptors }, 'opened');
    },
    async lastAcks(group) {
      const all = await Promise.all(procs.map((c) => c.ask({ cmd: 'lastAcks', group }, 'lastAcks')));
      return { times: all.flatMap((a) => a.times), bytes: all.flatMap((a) => a.bytes), classes: all.flatMap((a) => a.classes), errors: all.flatMap((a) => a.errors) };
    },
    async close(group) {
      await Promise.all(procs.map((c) => c.ask({ cmd: 'close', group }, 'closed')));
    },
  };
}

async function measure(o, print) {
  const STREAMS = o.streams;
  if (!existsSync(descriptors)) {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-envoy-descriptors.mjs')], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build:protos failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-fanout-'));
  const children = [];
  const cleanup = () => {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  try {
    const serverPath = await bundleServer(dir);
    const clients = clientProcs(o.procs, children);
    const sides = {};
    for (const mode of ['bridge', 'floor']) {
      const server = child(serverPath, ['--expose-gc', '--max-old-space-size=8192']);
      children.push(server);
      const { port } = await server.ask({ cmd: 'start', mode, services: o.services, streams: STREAMS, classes: o.classes, descriptors }, 'ready');
      const idle = (await server.ask({ cmd: 'memory' }, 'memory')).reading;
      const converged = server.wait('converged');
      const started = Date.now();
      await clients.open(mode, port, STREAMS, o.classes);
      await converged;
      // Bytes are counted per version from here: what the first version took is not a change's.
      await clients.lastAcks(mode);
      const convergeMs = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1000));
      const loaded = (await server.ask({ cmd: 'memory' }, 'memory')).reading;
      sides[mode] = { server, idle, loaded, convergeMs, rounds: [] };
      console.error(`fan-out: ${mode}: ${STREAMS} streams converged on version 1 in ${convergeMs} ms`);
    }
    let step = 0;
    for (let round = 1; round <= o.changes; round++) {
      for (const kind of o.kinds) {
        step++;
        // Alternate who goes first, so garbage one side leaves in the client process does not always land on the other.
        for (const mode of step % 2 ? ['bridge', 'floor'] : ['floor', 'bridge']) {
          const side = sides[mode];
          const { result } = await side.server.ask({ cmd: 'change', step, kind }, 'changed');
          const { times, bytes, classes, errors } = await clients.lastAcks(mode);
          if (errors.length) throw new Error(`${mode}: ${errors.length} streams failed: ${errors.slice(0, 3).join('; ')}`);
          const f = figures(result, times);
          // Bytes each stream received against the encoded bytes of what changed in its class's view.
          const overChanged = bytes.map((b, i) => b / result.changedBytes[classes[i]]);
          side.rounds.push({ ...f, kind, result, bytesPerStream: median(bytes), bytesAll: bytes.reduce((n, b) => n + b, 0), changedBytes: median(result.changedBytes), overChanged: median(overChanged), overChangedMax: Math.max(...overChanged) });
          console.error(`fan-out: ${mode} version ${step + 1} (${kind}): p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(1)} ms over ${f.streams} streams; types ${result.changedTypes.join(', ')}; encodes ${result.encodes} for ${result.changedResources} changed resources; ${result.pushes} responses; ${median(bytes)} bytes per stream for ${median(result.changedBytes)} changed`);
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    }
    for (const mode of ['bridge', 'floor']) await clients.close(mode);
    print(sides, o);
    return sides.bridge.rounds.filter((r) => r.result.nacks > 0).length;
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
}

function printBest({ bridge, floor }, o) {
  const { streams: STREAMS, services: SERVICES, changes: CHANGES } = o;
  const fmt = (n, d = 1) => n.toFixed(d);
  const med = (side, key) => median(side.rounds.map((r) => r[key]));
  const perType = (side, type) => median(side.rounds.map((r) => r.perType[type]).filter((x) => x !== undefined));
  const types = bridge.rounds[0].result.changedTypes;
  const kib = (n) => n / 1024;
  const range = (side) => `${fmt(Math.min(...side.rounds.map((r) => r.max)), 0)}–${fmt(Math.max(...side.rounds.map((r) => r.max)), 0)}`;
  const perStream = (side, key) => (side.loaded[key] - side.idle[key]) / STREAMS;
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version}`);
  console.log(`${STREAMS} SotW ADS streams (Envoy-like: CDS/LDS wildcard, EDS/RDS by name), ${SERVICES} services × 2 subsets: ${3 * SERVICES} clusters, ${3 * SERVICES} assignments, 1 listener, 1 route configuration`);
  console.log(`${CHANGES} versions, each one weight change and one endpoint change (types pushed: ${types.join(', ')}); medians over the versions\n`);
  console.log('| change → all streams ACKed (ms) | p50 | p99 | max | max: range over versions | ' + types.map((t) => `${t} all ACKed`).join(' | ') + ' | client-side p50 | client-side max |');
  console.log('|---|---:|---:|---:|---:|' + types.map(() => '---:|').join('') + '---:|---:|');
  for (const [name, side] of [['bridge (startBridge, fake edge)', bridge], ['floor (bare grpc-js, same bytes, waits for each ACK)', floor]]) {
    console.log(`| ${name} | ${fmt(med(side, 'p50'))} | ${fmt(med(side, 'p99'))} | ${fmt(med(side, 'max'))} | ${range(side)} | ${types.map((t) => fmt(perType(side, t))).join(' | ')} | ${fmt(med(side, 'clientP50'))} | ${fmt(med(side, 'clientMax'))} |`);
  }
  const ratio = (key) => fmt(med(bridge, key) / med(floor, key), 2);
  console.log(`| **ratio bridge / floor** | ${ratio('p50')}× | ${ratio('p99')}× | ${ratio('max')}× | | ${types.map((t) => fmt(perType(bridge, t) / perType(floor, t), 2) + '×').join(' | ')} | ${ratio('clientP50')}× | ${ratio('clientMax')}× |`);
  console.log('\n| per version / per stream | bridge | floor |');
  console.log('|---|---:|---:|');
  console.log(`| streams converged on version 1 (s) | ${fmt(bridge.convergeMs / 1000)} | ${fmt(floor.convergeMs / 1000)} |`);
  console.log(`| heap per idle stream (KiB, after GC) | ${fmt(kib(perStream(bridge, 'heapUsed')))} | ${fmt(kib(perStream(floor, 'heapUsed')))} |`);
  console.log(`| external per idle stream (KiB) | ${fmt(kib(perStream(bridge, 'external')))} | ${fmt(kib(perStream(floor, 'external')))} |`);
  console.log(`| V8 committed heap per idle stream (KiB) | ${fmt(kib(perStream(bridge, 'heapTotal')))} | ${fmt(kib(perStream(floor, 'heapTotal')))} |`);
  console.log(`| RSS per idle stream (KiB) | ${fmt(kib(perStream(bridge, 'rss')))} | ${fmt(kib(perStream(floor, 'rss')))} |`);
  console.log(`| heap / RSS with 0 streams (MiB) | ${fmt(bridge.idle.heapUsed / 2 ** 20)} / ${fmt(bridge.idle.rss / 2 ** 20)} | ${fmt(floor.idle.heapUsed / 2 ** 20)} / ${fmt(floor.idle.rss / 2 ** 20)} |`);
  console.log(`| heap / RSS with ${STREAMS} idle streams (MiB) | ${fmt(bridge.loaded.heapUsed / 2 ** 20)} / ${fmt(bridge.loaded.rss / 2 ** 20)} | ${fmt(floor.loaded.heapUsed / 2 ** 20)} / ${fmt(floor.loaded.rss / 2 ** 20)} |`);
  const encodes = bridge.rounds.map((r) => `${r.result.encodes}/${r.result.changedResources}`).join(', ');
  console.log(`| encodes per version / resources changed | ${encodes} | – |`);
  // Counted by the client process as the responses arrive: what each side actually sent.
  const bytes = (side) => median(side.rounds.map((r) => r.bytesPerStream));
  const total = (side) => median(side.rounds.map((r) => r.bytesAll));
  console.log(`| bytes per stream per version, received (${types.join(' + ')}) | ${bytes(bridge)} | ${bytes(floor)} |`);
  console.log(`| bytes per version across all ${STREAMS} streams (MB) | ${fmt(total(bridge) / 1e6, 2)} | ${fmt(total(floor) / 1e6, 2)} |`);
  console.log(`| responses written per version | ${median(bridge.rounds.map((r) => r.result.pushes))} | ${median(floor.rounds.map((r) => r.result.pushes))} |`);
  console.log(`| render + encode before hand-over (ms, not in the figures above) | ${fmt(median(bridge.rounds.map((r) => r.result.prepareMs)))} | ${fmt(median(floor.rounds.map((r) => r.result.prepareMs)))} |`);
}

/** The worst case: per kind of change, timing against the floor, bytes against what changed, and memory per idle stream. */
function printWorst({ bridge, floor }, o) {
  const fmt = (n, d = 1) => n.toFixed(d);
  const kib = (n) => n / 1024;
  const perStream = (side, key) => (side.loaded[key] - side.idle[key]) / o.streams;
  const med = (side, kind, key) => median(side.rounds.filter((r) => r.kind === kind).map((r) => r[key]));
  console.log(`\n**Worst case** · ${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · Node ${process.version}`);
  console.log(`${o.streams} SotW streams in ${o.procs} client processes, ${o.classes} node classes (each its own view: the ${Math.max(1, Math.floor(o.services / 100))} shared services and every ${o.classes}th other), ${o.services} services: ${3 * o.services} clusters in all; ${o.changes} versions of each kind, each changing a shared service (every stream gets it); medians over the versions\n`);
  console.log('| change → all streams ACKed (ms) | bridge p50 | bridge p99 | bridge max | floor p50 | floor p99 | floor max | p99 ratio | bytes per stream (bridge / floor) | changed resources (bytes) | bridge bytes / changed (median / max) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const kind of o.kinds) {
    console.log(`| one ${kind} change | ${fmt(med(bridge, kind, 'p50'))} | ${fmt(med(bridge, kind, 'p99'))} | ${fmt(med(bridge, kind, 'max'))} | ${fmt(med(floor, kind, 'p50'))} | ${fmt(med(floor, kind, 'p99'))} | ${fmt(med(floor, kind, 'max'))} | ${fmt(med(bridge, kind, 'p99') / med(floor, kind, 'p99'), 2)}× | ${med(bridge, kind, 'bytesPerStream')} / ${med(floor, kind, 'bytesPerStream')} | ${med(bridge, kind, 'changedBytes')} | ${fmt(med(bridge, kind, 'overChanged'), 2)}× / ${fmt(Math.max(...bridge.rounds.filter((r) => r.kind === kind).map((r) => r.overChangedMax)), 2)}× |`);
  }
  console.log('\n| per idle stream, after GC | bridge | floor | bridge / floor |');
  console.log('|---|---:|---:|---:|');
  for (const [name, key] of [['heap (KiB)', 'heapUsed'], ['V8 committed heap (KiB)', 'heapTotal'], ['external (KiB)', 'external'], ['RSS (KiB)', 'rss']]) {
    console.log(`| ${name} | ${fmt(kib(perStream(bridge, key)))} | ${fmt(kib(perStream(floor, key)))} | ${fmt(perStream(bridge, key) / perStream(floor, key), 2)}× |`);
  }
  console.log(`| streams converged on version 1 (s) | ${fmt(bridge.convergeMs / 1000)} | ${fmt(floor.convergeMs / 1000)} | |`);
  console.log(`| heap / RSS with 0 and with ${o.streams} streams (MiB) | ${fmt(bridge.idle.heapUsed / 2 ** 20)} / ${fmt(bridge.idle.rss / 2 ** 20)} → ${fmt(bridge.loaded.heapUsed / 2 ** 20)} / ${fmt(bridge.loaded.rss / 2 ** 20)} | ${fmt(floor.idle.heapUsed / 2 ** 20)} / ${fmt(floor.idle.rss / 2 ** 20)} → ${fmt(floor.loaded.heapUsed / 2 ** 20)} / ${fmt(floor.loaded.rss / 2 ** 20)} | |`);
}

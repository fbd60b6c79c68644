// The heap part of the scale envelope (bench/scale.mjs): the edge's own modules run in Node, against a
// real local D1 and R2 from Miniflare (which live in workerd, another process: Node's heap counts only
// our modules, the objects they build and the bytes they move). workerd enforces no heap limit, so the
// Worker's 128 MB is stood in for by `node --max-old-space-size=128`, and V8's used heap is sampled.
//
//   node --expose-gc --max-old-space-size=<MB> <bundle of this file> <phase> <services> <stateDir>
//
// Phases, one per process so each peak is its own: `apply` (the whole mesh's manifest text through the
// API's apply, with prune, into a fresh state dir: batched past APPLY_BATCH_OBJECTS, default 1000),
// `write` (one VirtualService put on that state), `serve` (a cold isolate's first REST
// answers, CDS + LDS + every RDS, streamed a chunk at a time and counted, not kept). Prints one JSON line.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

// Bundled by bench/scale.mjs with esbuild (Envoy's descriptors as a binary module, as wrangler bundles them); it passes the repo root.
const root = process.env.XDSFLARE_ROOT ?? process.cwd();
const [phase, sizeArg, stateDir] = process.argv.slice(2);
const services = Number(sizeArg);
if (!phase || !services || !stateDir) throw new Error('usage: scale-heap.ts apply|write|serve <services> <stateDir>');

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const used = () => getHeapStatistics().used_heap_size;
let peak = 0;
const sample = () => (peak = Math.max(peak, used()));
const MB = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

// Not bundled: resolved from the repo (wrangler's own dependency), as the bundle runs from a temporary dir.
const { Miniflare, convertV4MiniflareOptions } = createRequire(join(root, 'package.json'))('miniflare') as typeof import('miniflare');
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    // The ids wrangler dev uses for wrangler.toml's bindings, so this reads and writes a copy of its state dir.
    d1Databases: { DB: '00000000-0000-0000-0000-000000000000' },
    r2Buckets: { CONFIG: 'xdsflare-config' },
    resourcePersistencePath: stateDir,
  } as never),
);
// The harness's own floor (Node, Miniflare's client, this bundle's source text), before any of our modules run.
gc();
const harness = used();
const DB = (await mf.getD1Database('DB')) as unknown as D1Database;
const CONFIG = (await mf.getR2Bucket('CONFIG')) as unknown as R2Bucket;
const env = { DB, CONFIG, XDS_REFRESH_DELAY: '1s', XDS_FRESHNESS_MS: '1000' } as unknown as import('../functions/env').Env;

const { validateIntent, selectView, nodeInfoFromRequest, publishedAnswer, answerTexts, NAMED_TYPES } = await import('../xds');
const { commitChanges } = await import('../functions/domain/config/commit');
const { currentConfig, publishedViewOf, blobStore, restValuesOf } = await import('../functions/domain/config/config-cache');
const { serviceObjects } = await import('./scale-mesh');
const { applyManifest } = await import('../functions/api/apply');
const change = (doc: Record<string, unknown>) => {
  const v = validateIntent(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return { op: 'put' as const, object: v.object };
};

// Our modules loaded (and the Envoy registry parsed for writes): the floor each phase starts from.
if (phase !== 'serve') (await import('../functions/domain/config/envoy-protos')).envoyProtos();
gc();
const baseline = used();
const timer = setInterval(sample, 5);
const started = performance.now();
const out: Record<string, unknown> = { phase, services, harnessMB: MB(harness), baselineMB: MB(baseline) };

if (phase === 'apply') {
  for (const file of readdirSync(join(root, 'migrations')).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(join(root, 'migrations', file), 'utf8');
    const statements = sql.split('--> statement-breakpoint').map((s) => s.trim()).filter(Boolean);
    await DB.batch(statements.map((s) => DB.prepare(s)));
  }
  // The request body as the Worker holds it: the manifest's text (built a service at a time), then the
  // API's own apply (functions/api/apply.ts), with prune, as `xdsflare apply --prune` sends it.
  const parts: string[] = [];
  for (let i = 0; i < services; i++) parts.push(JSON.stringify(serviceObjects(i, 'scale')).slice(1, -1));
  const text = `[${parts.join(',')}]`;
  parts.length = 0;
  out.manifestBytes = text.length;
  gc();
  peak = used();
  const batchObjects = Number(process.env.APPLY_BATCH_OBJECTS ?? 1000);
  const { outcome } = await applyManifest(env, text, 'application/json', { dryRun: false, prune: () => true, batchObjects, commit: { author: 'bench', source: { via: 'scale-heap' } } });
  if (!outcome.committed) throw new Error('the apply committed nothing');
  out.cost = outcome.cost;
  out.changes = outcome.changes.length;
} else if (phase === 'write') {
  const k = Math.floor(services / 2);
  const vs = serviceObjects(k, 'scale', [77, 23])[2]!;
  const outcome = await commitChanges(env, [change(vs)], { author: 'bench', source: { via: 'scale-heap' } });
  out.cost = outcome.cost;
} else if (phase === 'serve') {
  // As functions/discovery/rest-discovery.ts answers a REST poller whose isolate is cold: head + root,
  // the view's index, then each answer streamed from R2 one chunk at a time.
  const config = await currentConfig(env);
  const node = nodeInfoFromRequest({ id: 'bench-envoy', cluster: 'bench', metadata: {} } as never);
  const view = selectView(config.selector, node);
  const subscriber = { mode: 'rest' as const, xdsCluster: 'xds_cluster', refreshDelay: '1s' };
  const published = publishedViewOf(env, config, view, subscriber);
  out.publishedView = Boolean(published);
  if (!published) throw new Error('no published view: serving would translate');
  const pv = await published;
  const store = blobStore(env);
  const rest = restValuesOf(subscriber);
  const bytes: Record<string, number> = {};
  let ldsText = '';
  for (const type of ['clusters', 'listeners'] as const) {
    const answer = await publishedAnswer(store, pv.types[type], undefined, rest);
    let n = 0;
    for await (const t of answerTexts(store, answer, rest)) {
      n += t.length;
      if (type === 'listeners') ldsText += t;
      sample();
    }
    bytes[type] = n;
  }
  const routeNames = [...new Set([...ldsText.matchAll(/"route_config_name":"([^"]+)"/g)].map((m) => m[1]!))];
  ldsText = '';
  bytes.routes = 0;
  for (const name of routeNames) {
    const answer = await publishedAnswer(store, pv.types.routes, [name], rest);
    for await (const t of answerTexts(store, answer, rest)) {
      bytes.routes += t.length;
      sample();
    }
  }
  out.routeConfigs = routeNames.length;
  out.bytes = bytes;
  out.namedTypes = [...NAMED_TYPES];
}
sample();
clearInterval(timer);
out.ms = Math.round(performance.now() - started);
// The phase's window on V8's clock, for bench/scale.mjs to read --trace-gc's used-before-GC figures in
// it: they catch the peaks of synchronous stretches that the sampler (which runs between tasks) cannot.
out.window = [Math.round(started), Math.round(performance.now())];
out.sampledPeakMB = MB(peak);
out.peakMB = MB(peak);
out.peakAboveBaselineMB = MB(peak - baseline);
out.peakAboveHarnessMB = MB(peak - harness);
out.heapLimitMB = MB(getHeapStatistics().heap_size_limit);
await mf.dispose();
console.log(JSON.stringify(out));

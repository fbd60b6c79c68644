import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConsistency, defaultViews, parseManifest, parseView, renderView, translateIntents, validateIntent, viewKey, type IntentObject, type RenderedView, type Subscriber, type View } from '../../xds';
import { envoyRegistry } from '../support/envoy-registry';

// Golden files per stage (Envoy Gateway's style): <case>.in.yaml → <case>.ir.json and one
// <case>.<view>.out.json per default view. UPDATE_GOLDEN=1 rewrites them and deletes stale outputs.
const dir = join(import.meta.dirname, 'translate');
const update = process.env.UPDATE_GOLDEN === '1';
const REST: Subscriber = { mode: 'rest', xdsCluster: 'xds_cluster', refreshDelay: '1s' };

export function loadIntents(file: string): IntentObject[] {
  const parsed = parseManifest(readFileSync(file, 'utf8'), 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.documents.map((doc, i) => {
    const v = validateIntent(doc, { path: `[${i}]` });
    if (!v.ok) throw new Error(`${file}: ${JSON.stringify(v.errors)}`);
    return v.object;
  });
}

/** gRPC clients only ever come through the bridge's ADS; Envoys here poll REST. */
const subscriberFor = (view: View): Subscriber => (view.client === 'grpc' ? { mode: 'ads' } : REST);

function snapshotJson(s: RenderedView) {
  return Object.fromEntries(Object.entries(s.types).map(([type, t]) => [type, { version: t.version, resources: [...t.resources.values()].map((r) => r.json) }]));
}

function golden(file: string, actual: unknown) {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (update || !existsSync(file)) writeFileSync(file, text);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));

describe.each(cases)('translation golden: %s', (name) => {
  const intents = loadIntents(join(dir, `${name}.in.yaml`));
  const result = translateIntents(intents);
  // Views with dimensions (namespace, locality, sourceLabels) are rendered on demand, not by default:
  // a case lists the ones it pins in `# view: <key>` lines.
  const extra = [...readFileSync(join(dir, `${name}.in.yaml`), 'utf8').matchAll(/^# view: (.+)$/gm)].map((m) => parseView(m[1]!.trim()));
  const views = [...defaultViews(result.ir), ...extra];
  const outputs = new Set(views.map((v) => `${name}.${viewKey(v).replace(/[|:/,]/g, '_')}.out.json`));

  it('translates to the golden IR without errors', () => {
    expect(result.errors).toEqual([]);
    golden(join(dir, `${name}.ir.json`), { warnings: result.warnings, ir: result.ir });
  });

  it.each(views.map((v) => [viewKey(v), v] as const))('renders view %s consistently, strictly decodable, as golden', (_key, view) => {
    const snapshot = renderView(result.ir, view, subscriberFor(view));
    expect(checkConsistency(snapshot)).toEqual([]);
    const registry = envoyRegistry();
    for (const t of Object.values(snapshot.types)) for (const r of t.resources.values()) registry.decodeStrict(r.json);
    golden(join(dir, `${name}.${viewKey(view).replace(/[|:/,]/g, '_')}.out.json`), snapshotJson(snapshot));
  });

  it('has no stale golden outputs', () => {
    const stale = readdirSync(dir).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.out.json') && !outputs.has(f));
    if (update) for (const f of stale) rmSync(join(dir, f));
    else expect(stale).toEqual([]);
  });
});

const invalidDir = join(dir, 'invalid');
const invalid = readdirSync(invalidDir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));

describe.each(invalid)('translation diagnostics golden: %s', (name) => {
  it('reports exactly the golden errors and warnings', () => {
    const { errors, warnings } = translateIntents(loadIntents(join(invalidDir, `${name}.in.yaml`)));
    expect(errors.length).toBeGreaterThan(0);
    golden(join(invalidDir, `${name}.diagnostics.json`), { errors, warnings });
  });
});

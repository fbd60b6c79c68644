import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultViews, parseManifest, renderView, translateIntents, validateIntent } from '../../xds';
import { envoyRegistry } from '../support/envoy-registry';

// Every golden output of the translator must pass Envoy's protoc-gen-validate rules: a rendered
// resource that breaks one would be refused at commit (and NACKed by Envoy if it got through).
const dir = join(import.meta.dirname, 'translate');
const outputs = readdirSync(dir).filter((f) => f.endsWith('.out.json'));

function loadIntents(file: string) {
  const parsed = parseManifest(readFileSync(file, 'utf8'), 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.documents.map((doc) => {
    const v = validateIntent(doc);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  });
}

type GoldenSnapshot = Record<string, { resources: Record<string, unknown>[] }>;

describe('golden outputs pass pre-flight validation', () => {
  it.each(outputs)('%s breaks no rule of Envoy’s protos', (file) => {
    const snapshot = JSON.parse(readFileSync(join(dir, file), 'utf8')) as GoldenSnapshot;
    const registry = envoyRegistry();
    const violations = Object.entries(snapshot).flatMap(([type, t]) => t.resources.flatMap((r) => registry.validate(r).map((v) => ({ type, name: r.name ?? r.cluster_name, ...v }))));
    expect(violations).toEqual([]);
  });

  it('logs what pre-flight adds to a write of the bookinfo config (no timing assertion)', () => {
    const intents = loadIntents(join(dir, 'bookinfo.in.yaml'));
    const registry = envoyRegistry();
    const renderAll = () => {
      const { ir } = translateIntents(intents);
      return defaultViews(ir).map((v) => renderView(ir, v, { mode: 'ads' }));
    };
    const validateAll = (snapshots: ReturnType<typeof renderAll>) => {
      let n = 0;
      for (const s of snapshots) for (const t of Object.values(s.types)) for (const r of t.resources.values()) n += registry.validate(r.json).length;
      return n;
    };
    for (let i = 0; i < 20; i++) validateAll(renderAll()); // warm up: rule cache and JIT
    const runs = 200;
    let render = 0;
    let validate = 0;
    let resources = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const snapshots = renderAll();
      const t1 = performance.now();
      expect(validateAll(snapshots)).toBe(0);
      validate += performance.now() - t1;
      render += t1 - t0;
      resources = snapshots.reduce((sum, s) => sum + Object.values(s.types).reduce((a, t) => a + t.resources.size, 0), 0);
    }
    console.log(`pre-flight, bookinfo (${resources} resources over the default views): translate+render ${(render / runs).toFixed(2)} ms, validate ${(validate / runs).toFixed(2)} ms per write`);
  });
});

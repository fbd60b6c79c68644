import { boundedPatch, DELIVERY_ORDER, defaultViews, diffNamed, renderView, RESOURCE_TYPES, translateIntents, viewKey, type IntentObject, type MeshIR, type RenderedView, type View } from '../../xds';
import type { RenderedDiff } from './schemas';

export interface RenderedDiffResult {
  entries: RenderedDiff[];
  /** Why a side could not be rendered (a stored revision the current translator no longer accepts). */
  errors: string[];
}

function translate(intents: IntentObject[], label: string, errors: string[]): MeshIR | undefined {
  const { ir, errors: problems } = translateIntents(intents);
  if (!problems.length) return ir;
  const first = problems[0]!;
  errors.push(`${label} no longer translates: ${first.source} ${first.path}: ${first.message}`);
  return undefined;
}

function diffSnapshots(before: RenderedView, after: RenderedView, view: string, maxOps: number): RenderedDiff[] {
  return DELIVERY_ORDER.flatMap((type) =>
    diffNamed(before.types[type].resources, after.types[type].resources, (a, b) => a.hash === b.hash)
      .map(({ name, op, before: old, after: now }): RenderedDiff => ({ view, type: RESOURCE_TYPES[type], name, op, ...(op === 'changed' ? boundedPatch(old!.json, now!.json, maxOps) : {}) }))
      .sort((x, y) => x.name.localeCompare(y.name)),
  );
}

/**
 * How the Envoy config of every default view (as each write renders them, with ADS config sources)
 * changed from one intent set to the next: per view and type, each resource added, removed or
 * changed. A view only one side has (a Gateway created or deleted) is rendered on both sides.
 */
export function diffRendered(before: IntentObject[], after: IntentObject[], labels: [string, string], maxOps: number): RenderedDiffResult {
  const errors: string[] = [];
  const irs = [translate(before, labels[0], errors), translate(after, labels[1], errors)] as const;
  if (errors.length) return { entries: [], errors };
  const views = new Map<string, View>();
  for (const ir of irs) for (const v of defaultViews(ir!)) views.set(viewKey(v), v);
  const entries: RenderedDiff[] = [];
  for (const [key, view] of [...views].sort(([a], [b]) => a.localeCompare(b))) {
    entries.push(...diffSnapshots(renderView(irs[0]!, view, { mode: 'ads' }), renderView(irs[1]!, view, { mode: 'ads' }), key, maxOps));
  }
  return { entries, errors };
}

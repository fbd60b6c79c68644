import { canonicalJson } from './canonical-json';

export type RenderedOp = 'added' | 'removed' | 'changed';

/** One rendered Envoy resource that changed, in one view. */
export interface RenderedChange {
  view: string;
  type: string;
  name: string;
  op: RenderedOp;
}

/** Rendered config as the edge's dry run answers it: view key → type → resources (proto3 JSON). */
export type Rendered = Record<string, Record<string, unknown[]>>;

/** One named resource that changed, with both sides as far as they exist. */
export interface NamedChange<T> {
  name: string;
  op: RenderedOp;
  before?: T;
  after?: T;
}

/**
 * Which named resources `after` adds, changes (`same` says no) or removes against `before`: the added
 * and changed in `after`'s order, then the removed in `before`'s.
 */
export function diffNamed<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>, same: (a: T, b: T) => boolean): NamedChange<T>[] {
  const out: NamedChange<T>[] = [];
  for (const [name, now] of after) {
    if (!before.has(name)) out.push({ name, op: 'added', after: now });
    else if (!same(before.get(name)!, now)) out.push({ name, op: 'changed', before: before.get(name), after: now });
  }
  for (const [name, old] of before) if (!after.has(name)) out.push({ name, op: 'removed', before: old });
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A resource's name: `name`, or `cluster_name` for a ClusterLoadAssignment. */
export const resourceName = (r: unknown) => (isRecord(r) ? String(r.name ?? r.cluster_name ?? '') : '');

/**
 * Which rendered resources a change adds, removes or changes, per view (sorted) and type (in the
 * order the sides list them); resources are equal when their canonical JSON is.
 */
export function diffRendered(before: Rendered, after: Rendered): RenderedChange[] {
  const out: RenderedChange[] = [];
  const canonicalByName = (resources: unknown[] = []) => new Map(resources.map((r) => [resourceName(r), canonicalJson(r)]));
  for (const view of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[view] ?? {};
    const a = after[view] ?? {};
    for (const type of [...new Set([...Object.keys(b), ...Object.keys(a)])]) {
      for (const { name, op } of diffNamed(canonicalByName(b[type]), canonicalByName(a[type]), (x, y) => x === y)) out.push({ view, type, name, op });
    }
  }
  return out;
}

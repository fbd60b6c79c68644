import { compare, type Operation } from 'fast-json-patch';
import { brief } from './format';

/** One object's change, as the edge's revision diff gives it (RFC 6902 patch from before to after). */
export interface IntentDiff {
  op: string;
  kind: string;
  namespace: string;
  name: string;
  patch?: Operation[];
}

/** One rendered Envoy resource that changed, in one view. */
export interface RenderedDiff {
  view: string;
  type: string;
  name: string;
  op: 'added' | 'removed' | 'changed' | string;
}

/** Rendered config as the edge's dry run returns it: view → type → resources. */
export type Rendered = Record<string, Record<string, unknown[]>>;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a stored object and a manifest object are compared on: what the edge compares (server metadata dropped). */
export function comparable(object: unknown, defaultNamespace = 'default'): Json {
  const o = isRecord(object) ? object : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const metadata: Json = { name: meta.name, namespace: meta.namespace ?? defaultNamespace };
  if (isRecord(meta.labels) && Object.keys(meta.labels).length) metadata.labels = meta.labels;
  if (isRecord(meta.annotations) && Object.keys(meta.annotations).length) metadata.annotations = meta.annotations;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

/** The RFC 6902 patch from one object to another (both through comparable()), a `test` of the old value before each replace and remove. */
export const patchBetween = (before: unknown, after: unknown): Operation[] => compare(comparable(before), comparable(after), true);

const SIGN: Record<string, string> = { created: '+', added: '+', deleted: '-', removed: '-', updated: '~', changed: '~', unchanged: '=' };

/** One line per operation, sorted by path; a `test` just before a replace or remove gives the old value (`old → new`). */
function patchLines(patch: Operation[]): string[] {
  const units: { op: Operation; old?: unknown }[] = [];
  patch.forEach((op, i) => {
    const prev = patch[i - 1];
    if (op.op !== 'test') units.push({ op, ...(prev?.op === 'test' && prev.path === op.path ? { old: prev.value } : {}) });
  });
  units.sort((a, b) => a.op.path.localeCompare(b.op.path, 'en', { numeric: true }));
  return units.map(({ op, old }) => {
    if (op.op === 'replace') return `    ${op.path}: ${old === undefined ? '' : `${brief(old)} → `}${brief(op.value)}`;
    if (op.op === 'add') return `    + ${op.path}: ${brief(op.value)}`;
    if (op.op === 'remove') return `    - ${op.path}${old === undefined ? '' : `: ${brief(old)}`}`;
    return `    ${op.op} ${'from' in op ? `${op.from} → ` : ''}${op.path}`;
  });
}

/** `~ VirtualService canary/reviews (updated)` and, for an update, its patch lines. */
export function formatIntentDiff(items: IntentDiff[]): string[] {
  const lines: string[] = [];
  for (const d of items) {
    lines.push(`${SIGN[d.op] ?? '?'} ${d.kind} ${d.namespace}/${d.name} (${d.op})`);
    if (d.op !== 'created' && d.op !== 'deleted' && d.patch) lines.push(...patchLines(d.patch));
  }
  return lines;
}

/** A resource's name: `name`, or `cluster_name` for a ClusterLoadAssignment. */
const nameOf = (r: unknown) => (isRecord(r) ? String(r.name ?? r.cluster_name ?? '') : '');

/** Sorted-key JSON, so equal resources compare equal whatever their key order. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : isRecord(v) ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}` : JSON.stringify(v);

/** Which rendered resources a change adds, removes or changes, per view and type. */
export function diffRendered(before: Rendered, after: Rendered): RenderedDiff[] {
  const out: RenderedDiff[] = [];
  for (const view of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[view] ?? {};
    const a = after[view] ?? {};
    for (const type of [...new Set([...Object.keys(b), ...Object.keys(a)])]) {
      const old = new Map((b[type] ?? []).map((r) => [nameOf(r), canonical(r)]));
      const now = new Map((a[type] ?? []).map((r) => [nameOf(r), canonical(r)]));
      for (const [name, text] of now) {
        if (!old.has(name)) out.push({ view, type, name, op: 'added' });
        else if (old.get(name) !== text) out.push({ view, type, name, op: 'changed' });
      }
      for (const name of old.keys()) if (!now.has(name)) out.push({ view, type, name, op: 'removed' });
    }
  }
  return out;
}

const MAX_PER_VIEW = 20;

/** Type URLs (as the revision diff names types) → the short names the dry run uses. */
const SHORT_TYPES: Record<string, string> = {
  'envoy.config.cluster.v3.Cluster': 'clusters',
  'envoy.config.endpoint.v3.ClusterLoadAssignment': 'endpoints',
  'envoy.config.listener.v3.Listener': 'listeners',
  'envoy.config.route.v3.RouteConfiguration': 'routes',
  'envoy.extensions.transport_sockets.tls.v3.Secret': 'secrets',
};
const shortType = (type: string) => SHORT_TYPES[type.replace(/^type\.googleapis\.com\//, '')] ?? type;

/** Per view, one line per changed resource: `~ routes 9080`. */
export function formatRenderedDiff(items: RenderedDiff[]): string[] {
  const byView = new Map<string, RenderedDiff[]>();
  for (const d of items) byView.set(d.view, [...(byView.get(d.view) ?? []), d]);
  const lines: string[] = [];
  for (const [view, diffs] of byView) {
    const counts = ['added', 'changed', 'removed'].map((op) => `${diffs.filter((d) => d.op === op).length} ${op}`).join(', ');
    lines.push(`  view ${view}: ${counts}`);
    for (const d of diffs.slice(0, MAX_PER_VIEW)) lines.push(`    ${SIGN[d.op] ?? '?'} ${shortType(d.type)} ${d.name}`);
    if (diffs.length > MAX_PER_VIEW) lines.push(`    … and ${diffs.length - MAX_PER_VIEW} more`);
  }
  return lines;
}

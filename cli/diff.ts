import type { JsonPatchOperation as Operation } from '../xds/diff';
import { ADS_TYPE_URLS } from '../xds/envoy/type-urls';
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

const MAX_PER_VIEW = 20;

const TYPE_URL_PREFIX = /^type\.googleapis\.com\//;
/** Type URLs, with or without their prefix (as the revision diff names types) → the short names the dry run uses. */
const SHORT_TYPES = new Map(Object.entries(ADS_TYPE_URLS).map(([short, url]) => [url.replace(TYPE_URL_PREFIX, ''), short]));
const shortType = (type: string) => SHORT_TYPES.get(type.replace(TYPE_URL_PREFIX, '')) ?? type;

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

import { badRequest } from '../../http/problem';
import type { IntentKind } from '../../../xds';
import { rowToIntent } from '../db/store';
import type { ObjectRow } from '../db/schema';
import type { StoredMetadata } from '../../api/object-schemas';

export interface ObjectKey {
  kind: IntentKind;
  namespace: string;
  name: string;
}

export const keyOf = (k: ObjectKey) => `${k.kind}/${k.namespace}/${k.name}`;

/** Sorted-key JSON: equal content gives equal text (for no-op detection and config hashes). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What GET returns: the user's object plus Kubernetes-style server metadata. */
export function toApiObject(row: ObjectRow) {
  const object = rowToIntent(row);
  return {
    ...object,
    // Typed by the schema /openapi.json documents, so the two cannot drift.
    metadata: { ...object.metadata, uid: row.uid, resourceVersion: String(row.resourceVersion), generation: row.generation, creationTimestamp: row.createdAt } satisfies StoredMetadata,
  };
}

export const etagOf = (row: Pick<ObjectRow, 'resourceVersion'>) => `"${row.resourceVersion}"`;

/** `If-Match` holds when absent, `*` (the object exists) or one of its tags equals the current ETag. */
export function ifMatchHolds(header: string | undefined, row: ObjectRow | undefined): boolean {
  if (header === undefined) return true;
  if (!row) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(row));
}

export type LabelSelector = (labels: Record<string, string>) => boolean;

const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Kubernetes' equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k` (present), `!k` (absent),
 * comma-separated and all required. Set-based forms (`in`, `notin`) are refused by name.
 */
export function parseLabelSelector(selector: string | undefined, field = 'labelSelector'): LabelSelector {
  if (!selector?.trim()) return () => true;
  const tests = selector.split(',').map((raw): LabelSelector => {
    const term = raw.trim();
    const m = /^(!)?\s*([^=!\s]+)\s*(?:(==|=|!=)\s*(\S*))?$/.exec(term);
    const [, not, key, op, value] = m ?? [];
    if (!m || !LABEL.test(key!) || (not && op) || (op && !VALUE.test(value!))) {
      throw badRequest(`cannot parse label selector term "${term}"`, [{ path: field, message: `"${term}": use key=value, key!=value, key or !key (set-based "in"/"notin" are not supported)` }]);
    }
    if (!op) return not ? (l) => !(key! in l) : (l) => key! in l;
    return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
  });
  return (labels) => tests.every((t) => t(labels));
}

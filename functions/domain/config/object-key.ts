import type { IntentKind } from '../../../xds';
import type { ObjectRow } from '../db/schema';

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

export const etagOf = (row: Pick<ObjectRow, 'resourceVersion'>) => `"${row.resourceVersion}"`;

/** `If-Match` holds when absent, `*` (the object exists) or one of its tags equals the current ETag. */
export function ifMatchHolds(header: string | undefined, row: ObjectRow | undefined): boolean {
  if (header === undefined) return true;
  if (!row) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(row));
}

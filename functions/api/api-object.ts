import type { IntentKind, IntentObject } from '../../xds';
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

/** What GET returns: the user's object plus Kubernetes-style server metadata. */
export function toApiObject(row: ObjectRow) {
  return {
    apiVersion: row.apiVersion,
    kind: row.kind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      ...(Object.keys(row.labels).length ? { labels: row.labels } : {}),
      ...(Object.keys(row.annotations).length ? { annotations: row.annotations } : {}),
      uid: row.uid,
      resourceVersion: String(row.resourceVersion),
      generation: row.generation,
      creationTimestamp: row.createdAt,
    },
    spec: row.spec,
  };
}

export function rowToIntentObject(row: ObjectRow): IntentObject {
  return {
    apiVersion: row.apiVersion,
    kind: row.kind as IntentKind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      ...(Object.keys(row.labels).length ? { labels: row.labels } : {}),
      ...(Object.keys(row.annotations).length ? { annotations: row.annotations } : {}),
    },
    spec: row.spec,
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

/** Equality selector (`a=b,c=d`, also `a==b`) against labels. */
export function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((term) => {
      const [k, v] = term.split(/==?/);
      return k !== undefined && v !== undefined && labels[k.trim()] === v.trim();
    });
}

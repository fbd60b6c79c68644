import type { IntentKind } from '../../../xds';
import type { ObjectRow } from '../db/schema';

export interface ObjectKey {
  kind: IntentKind;
  namespace: string;
  name: string;
}

export const keyOf = (k: ObjectKey) => `${k.kind}/${k.namespace}/${k.name}`;

export const etagOf = (row: Pick<ObjectRow, 'resourceVersion'>) => `"${row.resourceVersion}"`;

/** `If-Match` holds when absent, `*` (the object exists) or one of its tags equals the current ETag. */
export function ifMatchHolds(header: string | undefined, row: ObjectRow | undefined): boolean {
  if (header === undefined) return true;
  if (!row) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(row));
}

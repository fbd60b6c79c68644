import { canonicalJson, type IntentObject } from '../../../xds';
import type { ObjectRow } from '../db/schema';
import { DomainError } from '../errors';
import type { TouchedObject } from './commit-statements';
import { ifMatchHolds, keyOf, type ObjectKey } from './object-key';

/** One requested change: put an object (create or update) or delete one. */
export type Change =
  | { op: 'put'; object: IntentObject; ifMatch?: string; createOnly?: boolean }
  | { op: 'delete'; key: ObjectKey; ifMatch?: string };

export interface ChangeResult extends ObjectKey {
  op: 'created' | 'updated' | 'unchanged' | 'deleted';
}

const sameContent = (row: ObjectRow, o: IntentObject) =>
  row.apiVersion === o.apiVersion &&
  canonicalJson(row.spec) === canonicalJson(o.spec) &&
  canonicalJson(row.labels) === canonicalJson(o.metadata.labels ?? {}) &&
  canonicalJson(row.annotations) === canonicalJson(o.metadata.annotations ?? {});

export const keyOfChange = (change: Change): ObjectKey =>
  change.op === 'put' ? { kind: change.object.kind, namespace: change.object.metadata.namespace, name: change.object.metadata.name } : change.key;

/**
 * Applies changes, in order, to the current rows of the objects they name: preconditions checked,
 * content compared (a write that changes nothing is no change, as in Kubernetes), server metadata set.
 * `rows` holds the named objects after the changes (deleted ones absent).
 */
export function applyChanges(current: Map<string, ObjectRow>, changes: Change[], revision: number, now: string) {
  const rows = new Map(current);
  const results: ChangeResult[] = [];
  const touched = new Map<string, TouchedObject & { before: ObjectRow | undefined }>();
  for (const change of changes) {
    const key = keyOfChange(change);
    const id = keyOf(key);
    const existing = rows.get(id);
    if (!ifMatchHolds(change.ifMatch, existing)) throw new DomainError('precondition-failed', `${id} is at resourceVersion ${existing?.resourceVersion ?? '(absent)'}, not ${change.ifMatch}`);
    const before = touched.has(id) ? touched.get(id)!.before : current.get(id);
    if (change.op === 'delete') {
      if (!existing) throw new DomainError('not-found', `${id} does not exist`);
      rows.delete(id);
      touched.set(id, { key: id, row: null, before });
      results.push({ ...key, op: 'deleted' });
      continue;
    }
    if (change.createOnly && existing) throw new DomainError('already-exists', `${id} already exists (If-None-Match: *)`);
    const o = change.object;
    if (existing && sameContent(existing, o)) {
      results.push({ ...key, op: 'unchanged' });
      continue;
    }
    const specChanged = !existing || canonicalJson(existing.spec) !== canonicalJson(o.spec);
    const row: ObjectRow = {
      ...key,
      apiVersion: o.apiVersion,
      labels: o.metadata.labels ?? {},
      annotations: o.metadata.annotations ?? {},
      spec: o.spec,
      uid: existing?.uid ?? crypto.randomUUID(),
      resourceVersion: revision,
      generation: (existing?.generation ?? 0) + (specChanged ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
    };
    rows.set(id, row);
    touched.set(id, { key: id, row, before });
    results.push({ ...key, op: existing ? 'updated' : 'created' });
  }
  // An object created and deleted again by one request is no change at all.
  for (const [id, t] of touched) if (!t.row && !t.before) touched.delete(id);
  return { rows, results, touched: [...touched.values()] };
}

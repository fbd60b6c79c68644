import { boundedPatch, type IntentObject } from '../../xds';
import { keyOf, type ObjectKey } from '../domain/config/object-key';
import type { ObjectRow } from '../domain/db/schema';
import { rowToIntent } from '../domain/db/store';
import { isSecret, type StoredSecretSpec } from '../domain/secrets/stored';
import type { IntentDiff } from './schemas';

/**
 * The object as a diff shows it: what the user wrote (apiVersion, kind, metadata, spec), without
 * server bookkeeping that moves on every write. A Secret shows its public facts and keyed digest,
 * never its ciphertext.
 */
export function diffableObject(row: ObjectRow): IntentObject {
  const object = rowToIntent(row);
  if (!isSecret(row)) return object;
  const { encrypted: _encrypted, ...visible } = row.spec as unknown as StoredSecretSpec;
  return { ...object, spec: visible as unknown as Record<string, unknown> };
}

/** What revision n did to each object it touched, as JSON Patches from revision n-1 (`{}` for an object that did not exist; to `{}` once deleted). */
export function diffIntents(before: Map<string, ObjectRow>, changed: { kind: string; namespace: string; name: string; object: ObjectRow | null }[], maxOps: number): IntentDiff[] {
  return changed
    .map((h): IntentDiff => {
      const key = { kind: h.kind, namespace: h.namespace, name: h.name } as ObjectKey;
      const old = before.get(keyOf(key));
      const op = !h.object ? 'deleted' : old ? 'updated' : 'created';
      return { op, ...key, ...boundedPatch(old ? diffableObject(old) : {}, h.object ? diffableObject(h.object) : {}, maxOps) };
    })
    .sort((a, b) => keyOf(a as ObjectKey).localeCompare(keyOf(b as ObjectKey)));
}

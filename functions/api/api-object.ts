import type { ObjectRow } from '../domain/db/schema';
import { rowToIntent } from '../domain/db/store';
import type { StoredMetadata } from '../openapi/object-schemas';

/** What GET returns: the user's object plus Kubernetes-style server metadata. */
export function toApiObject(row: ObjectRow) {
  const object = rowToIntent(row);
  return {
    ...object,
    // Typed by the schema /openapi.json documents, so the two cannot drift.
    metadata: { ...object.metadata, uid: row.uid, resourceVersion: String(row.resourceVersion), generation: row.generation, creationTimestamp: row.createdAt } satisfies StoredMetadata,
  };
}

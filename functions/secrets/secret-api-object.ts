import type { ObjectRow } from '../domain/db/schema';
import { SECRET_KIND, type StoredSecretSpec } from '../domain/secrets/stored';
import type { SecretObject } from './schemas';

/** What reads return: metadata and the certificates' public facts; no key, no ciphertext. */
export function secretApiObject(row: ObjectRow): SecretObject {
  const spec = row.spec as unknown as StoredSecretSpec;
  return {
    apiVersion: 'v1',
    kind: SECRET_KIND,
    type: spec.type,
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
    keys: ['tls.crt', 'tls.key', ...(spec.caCertificate ? (['ca.crt'] as const) : [])],
    certificate: spec.certificate,
    ...(spec.caCertificate ? { caCertificate: spec.caCertificate } : {}),
  };
}

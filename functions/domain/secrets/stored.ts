import type { IntentKind, IntentObject } from '../../../xds';
import type { TlsSecret } from '../../../xds/secrets/tls-secret';
import type { ObjectRow } from '../db/schema';
import type { EncryptedBlob } from './crypto';

/** Secrets are stored in the objects table (so revisions, history and rollback cover them) under this kind. */
export const SECRET_KIND = 'Secret';

/** What a Secret row's `spec` holds: public certificate facts and the encrypted PEM texts, never plaintext. */
export interface StoredSecretSpec {
  type: 'kubernetes.io/tls';
  certificate: TlsSecret['certificate'];
  caCertificate?: TlsSecret['caCertificate'];
  encrypted: EncryptedBlob;
  digest: string;
}

export const secretAad = (namespace: string, name: string) => `${namespace}/${name}`;

export const isSecret = (o: { kind: string }) => o.kind === SECRET_KIND;

/**
 * A Secret as the one write path takes it. The translator ignores kinds it does not know, so a
 * Secret rides along with the intents without being translated.
 */
export function secretObject(secret: TlsSecret, namespace: string, spec: StoredSecretSpec): IntentObject {
  return {
    apiVersion: 'v1',
    kind: SECRET_KIND as IntentKind,
    metadata: { name: secret.name, namespace, ...(Object.keys(secret.labels).length ? { labels: secret.labels } : {}), ...(Object.keys(secret.annotations).length ? { annotations: secret.annotations } : {}) },
    spec: spec as unknown as Record<string, unknown>,
  };
}

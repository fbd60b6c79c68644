import { z } from 'zod';
import { StoredMetadataSchema } from '../openapi/object-schemas';
import { FieldErrorSchema } from '../http/problem-schema';

/** Kubernetes TLS Secrets as /namespaces/{ns}/secrets takes and returns them (validateTlsSecret checks the same shape by hand, with the PEM parsing it needs). */

const TlsKeysSchema = z.strictObject({ 'tls.crt': z.string().optional(), 'tls.key': z.string().optional(), 'ca.crt': z.string().optional() });

export const TlsSecretSchema = z
  .strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    type: z.literal('kubernetes.io/tls'),
    metadata: z.strictObject({
      name: z.string(),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      uid: z.unknown().optional(),
      resourceVersion: z.unknown().optional(),
      generation: z.unknown().optional(),
      creationTimestamp: z.unknown().optional(),
    }),
    data: TlsKeysSchema.optional().meta({ description: 'base64 of the PEM texts' }),
    stringData: TlsKeysSchema.optional().meta({ description: 'the PEM texts themselves; wins over data' }),
  })
  .meta({ id: 'TlsSecret', description: 'tls.crt (a PEM chain, leaf first) and tls.key (its private key) are required, in data or stringData; ca.crt is optional' });

const CertificateInfoSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  subjectAltNames: z.array(z.string()).meta({ description: '`DNS:…`, `IP:…`, `URI:…`, `email:…`' }),
});

/** What reads return: metadata and the certificates' public facts, never the key. */
export const SecretObjectSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    type: z.literal('kubernetes.io/tls'),
    metadata: StoredMetadataSchema,
    keys: z.array(z.enum(['tls.crt', 'tls.key', 'ca.crt'])),
    certificate: CertificateInfoSchema.extend({ chainLength: z.int() }),
    caCertificate: CertificateInfoSchema.extend({ count: z.int() }).optional(),
    warnings: z.array(FieldErrorSchema).optional().meta({ description: 'PUT only, when there are any' }),
  })
  .meta({ id: 'SecretObject' });
export type SecretObject = z.infer<typeof SecretObjectSchema>;

export const SecretListSchema = z
  .object({ apiVersion: z.literal('v1'), kind: z.literal('SecretList'), metadata: z.object({ resourceVersion: z.string() }), items: z.array(SecretObjectSchema) })
  .meta({ id: 'SecretList' });

/** POST /secrets/reencrypt. */
export const ReencryptResultSchema = z.object({
  revision: z.int().describe('the revision that re-encrypted them, or the head when nothing was due'),
  committed: z.boolean(),
  reencrypted: z.array(z.string()).describe('`namespace/name` of each Secret re-encrypted'),
  keyId: z.string().describe("the current SECRETS_KEY's key id (a keyed fingerprint, not the key)"),
});

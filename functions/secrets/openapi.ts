import { z } from 'zod';
import { DeleteResultSchema, DryRunResultSchema } from '../openapi/object-schemas';
import { BooleanQuery, CiHeadersSchema, problem, WRITE_PROBLEMS } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { ReencryptResultSchema, SecretListSchema, SecretObjectSchema, TlsSecretSchema } from './schemas';

/** TLS Secrets for SDS (api.ts). */

const tags = ['Secrets'];
const NamespaceParams = z.object({ namespace: z.string() });
const SecretParams = NamespaceParams.extend({ name: z.string() });
const WriteQuery = z.object({ dryRun: BooleanQuery.optional().meta({ description: '`true`: validate and check references, store nothing' }) });
const notFound = problem('No such Secret');

export const secretRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/secrets',
    operationId: 'listSecretsAllNamespaces',
    summary: 'List TLS Secrets in every namespace (no keys)',
    tags,
    scope: 'config:read',
    responses: { 200: { description: 'The Secrets', schema: SecretListSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/namespaces/{namespace}/secrets',
    operationId: 'listSecrets',
    summary: 'List TLS Secrets in a namespace (no keys)',
    tags,
    scope: 'config:read',
    params: NamespaceParams,
    responses: { 200: { description: 'The Secrets', schema: SecretListSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/namespaces/{namespace}/secrets/{name}',
    operationId: 'getSecret',
    summary: 'Read a TLS Secret: its certificate\'s subject, SANs and expiry, never the key',
    tags,
    scope: 'config:read',
    params: SecretParams,
    responses: { 200: { description: 'The Secret', schema: SecretObjectSchema, headers: ['ETag'] }, 404: notFound },
  },
  {
    method: 'put',
    path: '/api/v1/namespaces/{namespace}/secrets/{name}',
    operationId: 'putSecret',
    summary: 'Create or replace a kubernetes.io/tls Secret',
    description: 'The key must belong to the leaf certificate. The PEM texts are stored encrypted (AES-256-GCM under SECRETS_KEY); an unchanged PUT makes no revision.',
    tags,
    scope: 'admin',
    params: SecretParams,
    query: WriteQuery,
    headers: z.object({ 'If-Match': z.string().optional(), 'If-None-Match': z.string().optional() }).extend(CiHeadersSchema.shape),
    body: { schema: TlsSecretSchema, contentTypes: ['application/json', 'application/yaml'] },
    responses: {
      200: { description: 'Replaced (or unchanged), or the dry run', schema: z.union([SecretObjectSchema, DryRunResultSchema]), headers: ['ETag', 'Warning'] },
      201: { description: 'Created', schema: SecretObjectSchema, headers: ['ETag', 'Warning'] },
      ...WRITE_PROBLEMS,
    },
  },
  {
    method: 'post',
    path: '/api/v1/secrets/reencrypt',
    operationId: 'reencryptSecrets',
    // Repeatable as it is: a second run finds nothing left to do.
    idempotencyKey: false,
    summary: 'Encrypt every Secret under the current SECRETS_KEY again (after a rotation)',
    description: 'Secrets still encrypted under SECRETS_KEY_PREVIOUS are decrypted with it and encrypted under SECRETS_KEY, in one revision; then SECRETS_KEY_PREVIOUS can be removed. Safe to repeat: nothing left to do is no revision.',
    tags,
    scope: 'admin',
    headers: CiHeadersSchema,
    responses: {
      200: { description: 'What was re-encrypted, and the revision that did it', schema: ReencryptResultSchema },
      409: WRITE_PROBLEMS[409],
      503: problem('SECRETS_KEY is missing, or a Secret was encrypted under neither key'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/namespaces/{namespace}/secrets/{name}',
    operationId: 'deleteSecret',
    summary: 'Delete a TLS Secret (refused while a Gateway or DestinationRule refers to it)',
    tags,
    scope: 'admin',
    params: SecretParams,
    query: WriteQuery,
    headers: z.object({ 'If-Match': z.string().optional() }).extend(CiHeadersSchema.shape),
    responses: {
      200: { description: 'The revision that deleted it, or the dry run', schema: z.union([DeleteResultSchema, DryRunResultSchema]), headers: ['Warning'] },
      404: notFound,
      409: WRITE_PROBLEMS[409],
      412: WRITE_PROBLEMS[412],
    },
  },
];

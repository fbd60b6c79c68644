import { z } from 'zod';
import { BooleanQuery, CiHeadersSchema, problem, RolloutOverrideQuery, WRITE_PROBLEMS } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { ApiObjectSchema, ApplyResultSchema, DeleteResultSchema, DryRunResultSchema, IntentObjectSchema, ManifestSchema, ObjectListSchema, PluralSchema } from '../openapi/object-schemas';

/** The Istio objects (objects.ts) and /apply (apply.ts). */

const JSON_OR_YAML = ['application/json', 'application/yaml'];
const tags = ['Objects'];

const labelSelector = z
  .string()
  .optional()
  .meta({ description: 'Kubernetes equality-based selector, comma-separated, all required: `k=v`, `k==v`, `k!=v`, `k`, `!k`' });
const dryRun = BooleanQuery.optional().meta({ description: '`true`: check everything a write checks (translation, consistency, Envoy\'s rules) and store nothing' });

const ListParams = z.object({ plural: PluralSchema });
const NamespaceParams = z.object({ namespace: z.string().meta({ description: 'The namespace (a DNS-1123 label)' }), plural: PluralSchema });
const ObjectParams = NamespaceParams.extend({ name: z.string().meta({ description: 'metadata.name' }) });
const ListQuery = z.object({ labelSelector });
const WriteQuery = z.object({ dryRun }).extend(RolloutOverrideQuery.shape);
const IfMatch = z.object({ 'If-Match': z.string().optional() });

/** RFC 7396: objects merge, `null` removes a field. */
export const MergePatchSchema = z.record(z.string(), z.unknown()).meta({ id: 'MergePatch', description: 'RFC 7396 JSON Merge Patch, applied to the object as GET returns it' });
/** RFC 6902, checked by fast-json-patch before it is applied. */
export const JsonPatchSchema = z
  .array(
    z.object({
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
      path: z.string().meta({ description: 'A JSON Pointer, e.g. `/spec/http/0/route/1/weight`' }),
      value: z.unknown().optional(),
      from: z.string().optional(),
    }),
  )
  .meta({ id: 'JsonPatch', description: 'RFC 6902 JSON Patch' });

const written = (what: string) => ({ description: what, schema: z.union([ApiObjectSchema, DryRunResultSchema]), headers: ['ETag', 'Warning'] as const });
const unknownPlural = problem('Unknown resource type in the path, or the object does not exist');

export const objectRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/{plural}',
    operationId: 'listObjectsAllNamespaces',
    summary: 'List objects of one kind in every namespace',
    tags,
    scope: 'config:read',
    params: ListParams,
    query: ListQuery,
    responses: { 200: { description: 'The objects, sorted by namespace and name', schema: ObjectListSchema }, 400: problem('The label selector cannot be parsed') },
  },
  {
    method: 'get',
    path: '/api/v1/namespaces/{namespace}/{plural}',
    operationId: 'listObjects',
    summary: 'List objects of one kind in a namespace',
    tags,
    scope: 'config:read',
    params: NamespaceParams,
    query: ListQuery,
    responses: { 200: { description: 'The objects, sorted by name', schema: ObjectListSchema }, 400: problem('The label selector cannot be parsed'), 404: problem('Unknown resource type') },
  },
  {
    method: 'get',
    path: '/api/v1/namespaces/{namespace}/{plural}/{name}',
    operationId: 'getObject',
    summary: 'Read one object',
    tags,
    scope: 'config:read',
    params: ObjectParams,
    responses: { 200: { description: 'The object with its server metadata', schema: ApiObjectSchema, headers: ['ETag'] }, 404: unknownPlural },
  },
  {
    method: 'put',
    path: '/api/v1/namespaces/{namespace}/{plural}/{name}',
    operationId: 'putObject',
    summary: 'Create or replace one object',
    description:
      'The body is the whole object, JSON or YAML; its kind must be the one the path names and metadata.name the one in the path. A write that changes nothing (same spec, labels and annotations) makes no revision and keeps the ETag. With `?dryRun=true` the answer is a DryRunResult.',
    tags,
    scope: 'config:write',
    params: ObjectParams,
    query: WriteQuery,
    headers: z.object({ 'If-Match': z.string().optional(), 'If-None-Match': z.string().optional() }).extend(CiHeadersSchema.shape),
    body: { schema: IntentObjectSchema, contentTypes: JSON_OR_YAML },
    responses: { 200: written('Replaced (or unchanged), or the dry run'), 201: written('Created'), ...WRITE_PROBLEMS, 404: problem('Unknown resource type') },
  },
  {
    method: 'patch',
    path: '/api/v1/namespaces/{namespace}/{plural}/{name}',
    operationId: 'patchObject',
    summary: 'Change part of one object (merge patch or JSON patch)',
    description:
      'The patch applies to the object as GET returns it; the result is validated as a PUT would be, and committed only if the object has not changed since it was read (or against the If-Match given).',
    tags,
    scope: 'config:write',
    params: ObjectParams,
    query: WriteQuery,
    headers: IfMatch.extend(CiHeadersSchema.shape),
    body: { schema: MergePatchSchema, contentTypes: ['application/merge-patch+json', 'application/json-patch+json'], byContentType: { 'application/json-patch+json': JsonPatchSchema } },
    responses: { 200: written('The patched object, or the dry run'), ...WRITE_PROBLEMS, 404: unknownPlural },
  },
  {
    method: 'delete',
    path: '/api/v1/namespaces/{namespace}/{plural}/{name}',
    operationId: 'deleteObject',
    summary: 'Delete one object',
    tags,
    scope: 'config:write',
    params: ObjectParams,
    query: WriteQuery,
    headers: IfMatch.extend(CiHeadersSchema.shape),
    responses: {
      200: { description: 'The revision that deleted it, or the dry run', schema: z.union([DeleteResultSchema, DryRunResultSchema]), headers: ['Warning'] },
      404: unknownPlural,
      409: WRITE_PROBLEMS[409],
      412: WRITE_PROBLEMS[412],
      422: WRITE_PROBLEMS[422],
    },
  },
  {
    method: 'post',
    path: '/api/v1/apply',
    operationId: 'apply',
    summary: 'Apply a manifest atomically, as one revision',
    description:
      'A multi-document YAML, a JSON list of objects or a Kubernetes List: every object is validated, then all are committed as one revision or none is. `?dryRun=true` commits nothing and returns what would change, the rendered Envoy resources of every default view and every problem. `?prune=true` with a `labelSelector` also deletes the objects of that selector the manifest no longer holds (never Secrets).',
    tags,
    scope: 'config:write',
    query: z.object({
      dryRun,
      prune: BooleanQuery.optional().meta({ description: '`true`: delete what the selector matches and the manifest lacks (needs labelSelector)' }),
      labelSelector,
      namespace: z.string().optional().meta({ description: 'As `kubectl apply -n`: the namespace of objects without `metadata.namespace` (an object naming another one is refused), and the only namespace `prune` deletes from' }),
    }).extend(RolloutOverrideQuery.shape),
    headers: CiHeadersSchema,
    body: { schema: ManifestSchema, contentTypes: JSON_OR_YAML },
    responses: {
      201: { description: 'Committed as a new revision', schema: ApplyResultSchema, headers: ['Warning'] },
      200: { description: 'Nothing changed (no revision), or the dry run', schema: ApplyResultSchema, headers: ['Warning'] },
      ...WRITE_PROBLEMS,
    },
  },
];

import { z } from 'zod';
import { API_VERSIONS, INTENT_SCHEMAS, KINDS, PLURALS, type IntentKind } from '../../xds';
import { FieldErrorSchema } from '../http/problem-schema';

/** The schemas of the config API's objects, as requests send them and responses return them: shared by every feature that answers with objects. */

/** Component names for xds/intent's schemas (the exact instances validateIntent parses with). */
export const INTENT_COMPONENT_NAMES: ReadonlyMap<z.core.$ZodType, string> = new Map(
  KINDS.flatMap((kind): [z.core.$ZodType, string][] => [
    [INTENT_SCHEMAS[kind], kind],
    [INTENT_SCHEMAS[kind].shape.spec, `${kind}Spec`],
  ]),
);

/** A request's object, any kind (validateIntent picks the kind's schema by `kind`). */
export const IntentObjectSchema = z.discriminatedUnion('kind', KINDS.map((kind) => INTENT_SCHEMAS[kind]) as unknown as [(typeof INTENT_SCHEMAS)[IntentKind], ...(typeof INTENT_SCHEMAS)[IntentKind][]]).meta({ id: 'IntentObject' });

/** A manifest for /apply: one object, a JSON list of objects, a Kubernetes `List`, or (as YAML) several documents. */
export const ManifestSchema = z
  .union([
    IntentObjectSchema,
    z.array(IntentObjectSchema),
    z.object({ apiVersion: z.string().optional(), kind: z.literal('List'), items: z.array(IntentObjectSchema) }),
  ])
  .meta({ id: 'Manifest' });

/** Server-set metadata on everything read back (Kubernetes' ObjectMeta). */
export const StoredMetadataSchema = z
  .object({
    name: z.string(),
    namespace: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    uid: z.string(),
    resourceVersion: z.string().meta({ description: 'The revision that last changed the object; also its ETag' }),
    generation: z.int().meta({ description: 'Incremented on every spec change' }),
    creationTimestamp: z.string(),
  })
  .meta({ id: 'StoredMetadata' });
export type StoredMetadata = z.infer<typeof StoredMetadataSchema>;

const warnings = z.array(FieldErrorSchema).meta({ description: 'Accepted, but worth knowing (e.g. weights that do not sum to 100); also sent as Warning headers' });

const storedObject = (kind: IntentKind) =>
  z
    .object({
      apiVersion: z.enum(API_VERSIONS),
      kind: z.literal(kind),
      metadata: StoredMetadataSchema,
      spec: INTENT_SCHEMAS[kind].shape.spec,
      warnings: warnings.optional().meta({ description: 'PUT and PATCH only, when there are any' }),
    })
    .meta({ id: `${kind}Object` });

/** An object as GET, PUT and PATCH return it. */
export const ApiObjectSchema = z
  .discriminatedUnion('kind', KINDS.map(storedObject) as unknown as [ReturnType<typeof storedObject>, ...ReturnType<typeof storedObject>[]])
  .meta({ id: 'ApiObject' });

export const ObjectListSchema = z
  .object({
    apiVersion: z.literal('networking.istio.io/v1'),
    kind: z.enum(KINDS.map((k) => `${k}List` as const) as [`${IntentKind}List`, ...`${IntentKind}List`[]]),
    metadata: z.object({ resourceVersion: z.string().meta({ description: 'The head revision' }) }),
    items: z.array(ApiObjectSchema),
  })
  .meta({ id: 'ObjectList' });

/** What one change of a write did. */
export const ChangeResultSchema = z
  .object({ op: z.enum(['created', 'updated', 'unchanged', 'deleted']), kind: z.string(), namespace: z.string(), name: z.string() })
  .meta({ id: 'ChangeResult' });

const changes = z.array(ChangeResultSchema);

/** A dry run of PUT, PATCH or DELETE: what would change and what a real write would refuse with 422. */
export const DryRunResultSchema = z
  .object({
    dryRun: z.literal(true),
    committed: z.literal(false),
    changes,
    warnings,
    errors: z.array(FieldErrorSchema).optional().meta({ description: 'Rules of Envoy\'s protos the result would break (a real write answers 422)' }),
    object: z.unknown().optional().meta({ description: 'The object as it would be stored' }),
  })
  .meta({ id: 'DryRunResult' });

/** DELETE: the revision it made. */
export const DeleteResultSchema = z.object({ revision: z.int(), changes, warnings }).meta({ id: 'DeleteResult' });

/** POST /apply. */
export const ApplyResultSchema = z
  .object({
    revision: z.int().nullable().meta({ description: 'The new revision; the head when nothing changed; null on a dry run' }),
    committed: z.boolean(),
    dryRun: z.boolean(),
    changes,
    warnings,
    errors: z.array(FieldErrorSchema).optional().meta({ description: 'Dry run only: rules of Envoy\'s protos the result would break (a real apply answers 422)' }),
    rendered: z
      .record(z.string(), z.record(z.string(), z.array(z.record(z.string(), z.unknown()))))
      .optional()
      .meta({ description: 'Dry run only: per view key (e.g. `envoy|mesh`) and resource type, the Envoy resources (proto3 JSON) the change adds or changes' }),
    diff: z
      .object({
        rendered: z.array(z.object({ view: z.string(), type: z.string(), name: z.string(), op: z.enum(['added', 'changed', 'removed']) })),
      })
      .optional()
      .meta({ description: 'Dry run only: every rendered Envoy resource (ADS form, per view key and type) the change adds, changes or removes' }),
  })
  .meta({ id: 'ApplyResult' });

export const PluralSchema = z.enum(Object.keys(PLURALS) as [keyof typeof PLURALS, ...(keyof typeof PLURALS)[]]);

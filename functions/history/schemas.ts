import { z } from 'zod';

/** The history API's shapes (GET /api/v1/revisions, /revisions/{n}), parsed and documented from one place. */

/** At most this many intent and rendered entries in one diff, and operations in one patch: a bounded answer. */
export const DIFF_LIMITS = { intents: 100, rendered: 200, patchOps: 200 } as const;

const PatchOperationSchema = z
  .object({ op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']), path: z.string(), value: z.unknown().optional(), from: z.string().optional() })
  .meta({ description: 'One RFC 6902 operation' });
export type PatchOperation = z.infer<typeof PatchOperationSchema>;
const patchFields = {
  patch: z.array(PatchOperationSchema).optional().meta({ description: 'RFC 6902 JSON Patch from the version at n-1 to the version at n' }),
  patchOps: z.int().optional().meta({ description: `Instead of \`patch\` when it has more than ${DIFF_LIMITS.patchOps} operations: how many it has` }),
};

export const IntentDiffSchema = z
  .object({ op: z.enum(['created', 'updated', 'deleted']), kind: z.string(), namespace: z.string(), name: z.string(), ...patchFields })
  .meta({ id: 'IntentDiff', description: 'One object the revision changed; `patch` turns the object at n-1 (`{}` when it did not exist) into the object at n (`{}` once deleted). Secrets show their public facts and digest, never ciphertext' });
export type IntentDiff = z.infer<typeof IntentDiffSchema>;

export const RenderedDiffSchema = z
  .object({
    view: z.string().meta({ description: 'The view key, e.g. `envoy|mesh`, `grpc|mesh`, `envoy|gw:ns/name`' }),
    type: z.string().meta({ description: 'The type URL' }),
    name: z.string(),
    op: z.enum(['added', 'removed', 'changed']),
    ...patchFields,
  })
  .meta({ id: 'RenderedDiff', description: 'One Envoy resource of a default view (rendered with ADS config sources) added, removed or changed; `patch` for `changed` only' });
export type RenderedDiff = z.infer<typeof RenderedDiffSchema>;

export const RevisionDiffSchema = z
  .object({
    intents: z.array(IntentDiffSchema),
    rendered: z.array(RenderedDiffSchema),
    counts: z.object({ intents: z.int(), rendered: z.int() }).meta({ description: 'How many entries there are in all, before any cut' }),
    truncated: z.boolean().meta({ description: `True when a list was cut (at ${DIFF_LIMITS.intents} intents, ${DIFF_LIMITS.rendered} rendered entries)` }),
    errors: z.array(z.string()).optional().meta({ description: 'Why the rendered diff is missing: a side no longer translates' }),
  })
  .meta({ id: 'RevisionDiff', description: 'What the revision changed against revision n-1 (revision 1 against the empty config)' });
export type RevisionDiff = z.infer<typeof RevisionDiffSchema>;

export const RevisionEntrySchema = z
  .object({
    revision: z.int().min(1),
    createdAt: z.string(),
    author: z.string().meta({ description: 'The name of the token that made the change' }),
    source: z.record(z.string(), z.string()).meta({ description: 'Where the change came from: ciRunId, ciPipeline, ciCommit (x-ci-* headers), userAgent, rollbackTo' }),
    changes: z.array(z.object({ op: z.enum(['created', 'updated', 'deleted']), kind: z.string(), namespace: z.string(), name: z.string() })),
    changesTotal: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'Present when the revision changed more objects than `changes` lists (it is capped at about 1 MB: a whole-mesh apply changes tens of thousands); the state at the revision has them all' }),
    configHash: z.string().meta({ description: 'Content hash of the whole intent set after this revision' }),
    outcome: z.enum(['converged', 'rejected']).nullable().meta({ description: 'How the proxies took it, once known (null until then, and for revisions no proxy was judged on)' }),
  })
  .meta({ id: 'RevisionEntry' });

export const RevisionEntryListSchema = z
  .object({ items: z.array(RevisionEntrySchema), next: z.string().optional().meta({ description: 'The query of the next (older) page, e.g. `?before=41&limit=50`' }) })
  .meta({ id: 'RevisionEntryList' });

export const RevisionDetailSchema = RevisionEntrySchema.extend({ diff: RevisionDiffSchema.optional() }).meta({ id: 'RevisionDetail' });

export const RevisionNumberSchema = z.string().regex(/^[1-9][0-9]*$/, 'expected a positive integer');

export const RevisionListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: 'Page size, 1 to 500 (default 50)' }),
  before: RevisionNumberSchema.optional().meta({ description: 'Only revisions older than this one' }),
});

export const RevisionQuerySchema = z.strictObject({
  diff: z.enum(['true', 'false']).optional().meta({ description: '`false` skips the diff (default `true`)' }),
});

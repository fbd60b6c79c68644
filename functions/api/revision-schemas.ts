import { z } from 'zod';
import { FieldErrorSchema } from '../http/problem-schema';
import { ChangeResultSchema } from './object-schemas';

/** Revisions and their rollout status, as /api/v1/revisions answers. */

export const RevisionParamsSchema = z.object({ n: z.string().regex(/^[1-9][0-9]*$/).meta({ description: 'A revision number' }) });

export const RevisionChangeSchema = z
  .object({ op: z.enum(['created', 'updated', 'deleted']), kind: z.string(), namespace: z.string(), name: z.string() })
  .meta({ id: 'RevisionChange' });

export const RevisionSchema = z
  .object({
    revision: z.int().min(1),
    createdAt: z.string(),
    author: z.string().meta({ description: 'The name of the token that made the change' }),
    source: z.record(z.string(), z.string()).meta({ description: 'Where the change came from: ciRunId, ciPipeline, ciCommit (from x-ci-* headers), userAgent, rollbackTo' }),
    changes: z.array(RevisionChangeSchema),
    configHash: z.string().meta({ description: 'Content hash of the whole intent set after this revision' }),
  })
  .meta({ id: 'Revision' });
export type Revision = z.infer<typeof RevisionSchema>;

export const RevisionListSchema = z
  .object({ items: z.array(RevisionSchema), next: z.string().optional().meta({ description: 'The query of the next (older) page, e.g. `?before=41&limit=50`' }) })
  .meta({ id: 'RevisionList' });

export const RevisionListQuerySchema = z.object({
  limit: z.string().regex(/^[0-9]+$/).optional().meta({ description: 'Page size, 1 to 500 (default 50)' }),
  before: z.string().regex(/^[1-9][0-9]*$/).optional().meta({ description: 'Only revisions older than this one' }),
});

export const RollbackResultSchema = z
  .object({
    revision: z.int().meta({ description: 'The new revision; the head when the state already equals revision n' }),
    committed: z.boolean(),
    rolledBackTo: z.int(),
    changes: z.array(ChangeResultSchema),
    warnings: z.array(FieldErrorSchema),
  })
  .meta({ id: 'RollbackResult' });

export const RejectionSchema = z
  .object({
    type: z.string().meta({ description: 'The type URL that was rejected' }),
    version: z.string(),
    message: z.string(),
    inferred: z.boolean().meta({ description: 'True for a REST poller that kept polling with its old version (it cannot send a NACK)' }),
  })
  .meta({ id: 'Rejection' });

export const ProxyStateSchema = z.enum(['converged', 'rejected', 'pending', 'stale']);

export const RevisionStatusSchema = z
  .object({
    revision: z.int(),
    head: z.int().meta({ description: 'The newest revision when the answer was made' }),
    phase: z.enum(['converged', 'rejected', 'pending', 'no-proxies']),
    counts: z.object({ converged: z.int(), rejected: z.int(), pending: z.int(), stale: z.int() }),
    proxies: z.array(
      z.object({
        node_id: z.string(),
        view: z.string(),
        transport: z.string().meta({ description: '`rest` (polls the edge) or `ads` (through a bridge)' }),
        bridge: z.string().nullable(),
        state: ProxyStateSchema,
        last_seen: z.string(),
        rejections: z.array(RejectionSchema),
      }),
    ),
  })
  .meta({ id: 'RevisionStatus' });
export type RevisionStatus = z.infer<typeof RevisionStatusSchema>;

export const RevisionStatusQuerySchema = z.object({
  wait: z.string().optional().meta({ description: 'Hold the request up to this many seconds (0 to 300) while the phase is pending' }),
});

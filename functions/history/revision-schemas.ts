import { z } from 'zod';
import { RevisionNumberSchema } from './schemas';
import { FieldErrorSchema } from '../http/problem-schema';
import { ChangeResultSchema } from '../openapi/object-schemas';

/** Rollback and rollout status (the history's own shapes are in functions/history/schemas.ts). */

export const RevisionParamsSchema = z.object({ n: RevisionNumberSchema.meta({ description: 'A revision number' }) });

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
    note: z.string().optional().meta({ description: 'Present when some proxies are stale: which, that nobody waits for them, and when they leave the fleet' }),
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

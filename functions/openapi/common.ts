import { z } from 'zod';
import { ProblemSchema } from '../http/problem-schema';
import type { ResponseHeaderName } from './headers';

/** Building blocks for features' RouteDoc lists. */

/** A problem+json response entry. */
export const problem = (description: string, headers?: ResponseHeaderName[]) => ({ description, schema: ProblemSchema, ...(headers ? { headers } : {}) });

/** The usual refusals of a config write, described once. */
export const WRITE_PROBLEMS = {
  400: problem('The body is not valid JSON or YAML, or a field is invalid; `errors` names each one by path. Nothing was stored.'),
  409: problem('The resulting configuration would be inconsistent (a route to an undeclared host, a missing subset or credential...), another write committed first, or the write moves the weights of a route an active rollout drives (or deletes its VirtualService) without `?rollout=abort` or `?force=true`: then `errors` names the field and `rollouts` each rollout (id, state, virtualService, route, currentStep, steps, weight). Nothing was stored.'),
  412: problem('If-Match (or If-None-Match: *) does not hold.'),
  413: problem('The body is larger than the route accepts: 1 MiB, or 64 MiB for POST /api/v1/apply.'),
  415: problem('The content type is neither JSON nor YAML.'),
  422: problem('The rendered Envoy config would break a validation rule of Envoy\'s protos (`errors[].rule`), or the Idempotency-Key was used for another request. Nothing was stored.'),
} as const;

/** CI metadata recorded on the revision a write makes (requestSource in functions/http/body.ts). */
export const CiHeadersSchema = z.object({
  'x-ci-run-id': z.string().optional().meta({ description: 'Recorded as `source.ciRunId` on the revision (at most 256 characters kept).' }),
  'x-ci-pipeline': z.string().optional().meta({ description: 'Recorded as `source.ciPipeline` on the revision.' }),
  'x-ci-commit': z.string().optional().meta({ description: 'Recorded as `source.ciCommit` on the revision.' }),
});

/** `?dryRun=true`: everything a write checks, nothing stored (as in Kubernetes). */
export const BooleanQuery = z.enum(['true', 'false']);

/** How a write that moves an active rollout's route is committed (functions/http/rollout-override.ts); without either, a 409. */
export const RolloutOverrideQuery = z.object({
  rollout: z.enum(['abort']).optional().meta({ description: '`abort`: when the write moves the weights of a route an active rollout drives (or deletes its VirtualService), abort that rollout in the same revision; the write\'s weights stand and nothing is rolled back' }),
  force: BooleanQuery.optional().meta({ description: '`true`: commit such a write and leave the rollout running, with a Warning (its next step sets its weight again); not with `rollout=abort`' }),
});

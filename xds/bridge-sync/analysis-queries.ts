import { z } from 'zod';

/**
 * Rollout analysis run by a bridge, for a Prometheus only the cluster can reach (a provider with
 * `from: bridge`): the bridge asks the edge which queries are due (GET /api/v1/rollouts/bridge-queries),
 * runs them against its own Prometheus (XDSFLARE_PROMETHEUS_URL) and reports each value back
 * (POST /api/v1/rollouts/bridge-results). The edge never needs a path into the cluster.
 */
export const BridgeQuerySchema = z.object({
  /** Names this request; a result for an id the edge no longer waits for is ignored. */
  id: z.string(),
  rollout: z.int(),
  query: z.string().describe('PromQL, placeholders filled in'),
  /** Evaluation time, ms since the epoch (Prometheus's `time`). */
  time: z.number(),
  timeoutMs: z.int(),
});
export type BridgeQuery = z.infer<typeof BridgeQuerySchema>;

export const BridgeQueriesSchema = z.object({ queries: z.array(BridgeQuerySchema) });
export type BridgeQueries = z.infer<typeof BridgeQueriesSchema>;

export const BridgeQueryResultSchema = z.strictObject({
  id: z.string().min(1).max(200),
  rollout: z.int().positive(),
  /** The one value the query reduced to; null when there was none (no data, NaN, Prometheus unreachable or refusing). */
  value: z.number().nullable(),
  message: z.string().max(1000).optional().describe('Why there is no value'),
});
export type BridgeQueryResult = z.infer<typeof BridgeQueryResultSchema>;

export const BridgeResultsSchema = z.strictObject({
  bridge: z.string().min(1).max(253),
  results: z.array(BridgeQueryResultSchema).max(500),
});
export type BridgeResults = z.infer<typeof BridgeResultsSchema>;

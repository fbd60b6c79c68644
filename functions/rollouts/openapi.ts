import type { RouteDoc } from '../openapi/route-doc';
import { CiHeadersSchema as CiHeaders, problem } from '../openapi/common';
import { BridgeQueriesSchema, BridgeResultsSchema } from '../../xds/bridge-sync/analysis-queries';
import { AbortRequestSchema, ListQuerySchema, RolloutIdParamsSchema, RolloutListSchema, RolloutRequestSchema, RolloutSchema, RolloutViewSchema, WaitQuerySchema } from './schema';

const tags = ['Rollouts'];

const action = (name: 'pause' | 'resume' | 'promote' | 'abort', summary: string, description: string): RouteDoc => ({
  method: 'post',
  path: `/api/v1/rollouts/{id}/${name}`,
  summary,
  description,
  tags,
  scope: 'config:write',
  params: RolloutIdParamsSchema,
  headers: CiHeaders,
  ...(name === 'abort' ? { body: { schema: AbortRequestSchema, contentTypes: ['application/json'], required: false, description: 'Optional: why, recorded as abort.message' } } : {}),
  responses: {
    200: { description: 'the rollout after the action', schema: RolloutSchema },
    400: problem('invalid id (or abort body)'),
    404: problem('no such rollout'),
    409: problem('the rollout has finished (succeeded or aborted), is aborting, or is still starting'),
  },
});

/** The rollout routes, from the schemas their handlers parse with. */
export const rolloutRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/v1/rollouts',
    summary: 'Start a stepped rollout (canary) of a VirtualService route',
    description:
      'Validated against the current config: the VirtualService exists, the route is found (by `name`, `#<index>`, or the only http route) and routes to the stable destination alone or to stable and candidate. Step 0 (the route at `steps[0]`% to the candidate, plus `manifest`) is committed as one revision through the normal write path before the answer; each next step is committed by the control plane once the previous one converged (revision status) and `pauseSeconds` passed. A NACK or a step not converged within `timeoutSeconds` aborts: one revision puts the route back on stable and restores the manifest objects as they were at `baseRevision`. With `analysis`, each converged step is also measured in Prometheus (queried from the edge) and advances only when its metrics pass; a failing metric aborts the same way (`abort.reason: analysis`), and every measurement is in `analysis.measurements`. `gates` ask a registered webhook (a signed `rollout.gate` delivery) before step 0, each later step and the 100% step; a non-2xx answer holds or aborts. A pre-rollout gate holds step 0 back: the answer then has `history: []` and `hold`.',
    tags,
    scope: 'config:write',
    headers: CiHeaders,
    body: { schema: RolloutRequestSchema, contentTypes: ['application/json', 'application/yaml'], required: true },
    responses: {
      201: { description: 'started: step 0 committed (history[0].revision)', schema: RolloutSchema, headers: ['Location', 'Warning'] },
      400: problem('a field is invalid (errors[].path, e.g. steps[2], stable.subset, manifest[1].spec.hosts, analysis.metrics[0].thresholdRange.min, analysis.metrics[0].query); nothing was stored'),
      409: problem('the VirtualService or route does not exist or does not route to the stable destination, the VirtualService already has an active rollout, a gate names a webhook that is not registered (gates[i].webhook), or the first step would make the config inconsistent (e.g. a candidate subset no DestinationRule defines); nothing was stored'),
      413: problem('the body is larger than 1 MiB'),
      415: problem('the body is neither JSON nor YAML'),
      422: problem("the first step's Envoy config would break a rule of Envoy's protos; nothing was stored"),
      503: problem('the analysis provider has a credential but SECRETS_KEY is not set'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/rollouts',
    summary: 'List rollouts, newest first',
    tags,
    scope: 'config:read',
    query: ListQuerySchema,
    responses: { 200: { description: 'the rollouts', schema: RolloutListSchema }, 400: problem('unknown state') },
  },
  {
    method: 'get',
    path: '/api/v1/rollouts/{id}',
    summary: 'Read a rollout: its state, steps with their revisions, and why it aborted',
    description: 'With `?wait=<seconds>` the request is held until the rollout has succeeded or aborted, or the wait ends; the answer is the rollout as it is then.',
    tags,
    scope: 'config:read',
    params: RolloutIdParamsSchema,
    query: WaitQuerySchema,
    responses: { 200: { description: 'the rollout; while active, `routeNow` says what its route holds now', schema: RolloutViewSchema }, 400: problem('invalid id or wait'), 404: problem('no such rollout') },
  },
  {
    method: 'get',
    path: '/api/v1/rollouts/bridge-queries',
    summary: 'For bridges: the analysis queries due now (providers with from: bridge)',
    description: 'A bridge with XDSFLARE_PROMETHEUS_URL asks this every XDSFLARE_ANALYSIS_POLL_MS, runs each query against its Prometheus at `time` and reports the values to POST /api/v1/rollouts/bridge-results. A query no bridge answers within the provider timeout plus 15 s becomes an inconclusive measurement.',
    tags,
    scope: 'status:write',
    responses: { 200: { description: 'the pending queries of every progressing rollout', schema: BridgeQueriesSchema } },
  },
  {
    method: 'post',
    path: '/api/v1/rollouts/bridge-results',
    summary: "For bridges: the values of analysis queries, each recorded as the rollout's measurement",
    description: 'Results for ids no rollout waits for (answered already, by another bridge, or a finished rollout) are ignored. `value: null` with a `message` is an inconclusive measurement naming the bridge.',
    tags,
    scope: 'status:write',
    body: { schema: BridgeResultsSchema, contentTypes: ['application/json'], required: true },
    responses: { 204: { description: 'recorded; the rollouts concerned are looked at now' }, 400: problem('a field is invalid (results[i].rollout, …)') },
  },
  action('pause', 'Pause a rollout at its current weight', 'No step advances, convergence is not judged and the timeout does not run until resumed. Pausing a paused rollout changes nothing.'),
  action('resume', 'Resume a paused rollout', 'A step still converging gets a fresh timeout. Resuming a progressing rollout changes nothing.'),
  action('promote', 'Jump to 100% on the candidate', 'Commits the last step now (the steps in between are recorded as skipped); the rollout still waits for it to converge before it has succeeded. Resumes a paused rollout.'),
  action('abort', 'Abort and roll back', 'Commits one revision that puts the route back on the stable destination alone and restores the manifest objects as they were at baseRevision; abort.reason is `manual`.'),
];

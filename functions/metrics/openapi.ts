import type { RouteDoc } from '../openapi/route-doc';
import { problem } from '../openapi/common';

/** GET /metrics (functions/metrics/api.ts). */
export const metricsRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: "The edge's state in Prometheus' text format, computed from D1 at each scrape",
    description:
      'Gauges: `xdsflare_proxies{state="live|stale",transport="rest|ads"}` (the fleet; gone proxies are not counted), `xdsflare_revisions`, `xdsflare_head_revision`, `xdsflare_rollouts{state}`, `xdsflare_webhook_deliveries{state="pending|delivered|failed"}`. Scrape with a bearer token that has `metrics:read` (Prometheus `authorization: {credentials: ...}`). Request counts and durations go to Workers Analytics Engine (binding `METRICS`), not here.',
    tags: ['Metrics'],
    scope: 'metrics:read',
    responses: { 200: { description: 'Prometheus text exposition format 0.0.4', contentType: 'text/plain' }, 401: problem('No valid token'), 403: problem('The token lacks metrics:read') },
  },
];

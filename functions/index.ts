import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import api from './app';
import type { Env } from './env';
import { sweepEvents } from './events/sweep';
import { onError } from './http/on-error';
import { problemResponse } from './http/problem';
import { sweepRollouts } from './rollouts/sweep';
import openapi from './openapi/serve';
import sds from './discovery/sds';
import discovery from './discovery/rest-discovery';

export { RolloutDriver } from './rollouts/driver';
export { EventDispatcher } from './events/dispatcher';

const app = new Hono<{ Bindings: Env }>();

app.use(requestId({ headerName: 'x-request-id' }));
app.onError(onError);
app.notFound((c) => problemResponse(c, { status: 404, title: 'Not Found', detail: `no route for ${c.req.method} ${c.req.path}` }));

app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.route('/', openapi);
app.route('/api/v1', api);
// SDS first: it answers only /v3/discovery:secrets and passes every other type on.
app.route('/', sds);
app.route('/', discovery);

/** The Hono app alone, for tests that call `app.request(...)`. */
export { app };

export default {
  fetch: app.fetch,
  /** The once-a-minute safety sweep (wrangler.toml [triggers]); the alarms are the clock. */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    // Webhooks: judge revision outcomes, re-arm the dispatcher for due deliveries, prune old ones.
    ctx.waitUntil(sweepEvents(env));
    // Rollouts: re-arm the driver of any progressing rollout whose alarm was lost.
    ctx.waitUntil(sweepRollouts(env));
  },
} satisfies ExportedHandler<Env>;

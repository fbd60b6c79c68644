import { app } from './app';
import type { Env } from './env';
import { sweepEvents } from './events/sweep';
import { sweepRollouts } from './rollouts/sweep';

export { RolloutDriver } from './rollouts/driver';
export { EventDispatcher } from './events/dispatcher';

/** The Hono app alone, for tests that call `app.request(...)`. */
export { app };

/** The Worker: the HTTP app, and the once-a-minute safety sweep (wrangler.toml [triggers]); the alarms are the clock. */
export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    // Webhooks: judge revision outcomes, re-arm the dispatcher for due deliveries, prune old ones.
    ctx.waitUntil(sweepEvents(env));
    // Rollouts: re-arm the driver of any progressing rollout whose alarm was lost.
    ctx.waitUntil(sweepRollouts(env));
  },
} satisfies ExportedHandler<Env>;

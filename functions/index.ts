import { app } from './app';
import type { Env } from './env';
import { sweepEvents } from './events/sweep';
import { sweepRollouts } from './rollouts/sweep';
import { openDatabase } from './domain/db/store';
import { forgetGoneProxies } from './domain/status/fleet';
import { settings } from './settings';

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
    // Proxies: delete the rows of those gone (also done by GET /proxies and bridge reports, for wrangler dev).
    ctx.waitUntil(forgetGoneProxies(openDatabase(env.DB), Date.now(), settings(env).forgetMs).catch((err) => console.warn(JSON.stringify({ msg: 'could not forget gone proxies', error: String(err) }))));
  },
} satisfies ExportedHandler<Env>;

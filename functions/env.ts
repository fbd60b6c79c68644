/**
 * Bindings and variables of the edge Worker (wrangler.toml, .dev.vars, Worker secrets). Imports
 * nothing, so every module can take an Env; the variables are read through functions/settings.ts, the
 * Durable Objects through typed stubs beside their users (rolloutStub, dispatcher).
 */
export interface Env {
  DB: D1Database;
  /** Published config: rendered views in content-addressed chunks (xds/publish), read by every poll. */
  CONFIG: R2Bucket;
  /** One Durable Object per rollout: its alarm advances the steps (functions/rollouts/driver.ts). */
  ROLLOUTS: DurableObjectNamespace;
  /** One Durable Object that delivers webhook events and retries them (functions/events/dispatcher.ts). */
  EVENTS: DurableObjectNamespace;
  /** Workers Analytics Engine: a data point per request (functions/metrics/analytics.ts); absent, nothing is written. */
  METRICS?: AnalyticsEngineDataset;
  /** The web console's files (wrangler.toml [assets], built from console/), served by functions/console/serve.ts. */
  ASSETS: Fetcher;
  /** Worker secret: the bootstrap admin token (locally from .dev.vars). */
  ADMIN_TOKEN?: string;
  /** Worker secret: base64 of 32 bytes; TLS Secrets for SDS are encrypted with it (AES-256-GCM). */
  SECRETS_KEY?: string;
  /** Worker secret, while rotating: the SECRETS_KEY before the current one; still decrypts what it encrypted. */
  SECRETS_KEY_PREVIOUS?: string;
  /** How often (ms) an isolate re-reads the token revocation counter; a revoked token stops working within it; default 1000. */
  TOKEN_RECHECK_MS?: string;
  /** "true" lets webhooks target loopback, private and link-local addresses and localhost names (local dev and tests only). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS?: string;
  /** "true" lets xDS pollers read config without a token (local dev only). */
  ALLOW_ANONYMOUS_XDS?: string;
  /** How long an isolate trusts its in-memory snapshot before re-checking D1's head revision. */
  XDS_FRESHNESS_MS?: string;
  /** How often (ms) each isolate writes what pollers report to the proxies table; default 5000. */
  XDS_STATUS_FLUSH_MS?: string;
  /** A proxy not seen (polled, or reported by its bridge) for this long (ms) is stale; default 60000. */
  STATUS_STALE_MS?: string;
  /** A proxy not seen for this long (ms) leaves the fleet: no longer listed or counted, its row deleted; default 600000. */
  STATUS_FORGET_MS?: string;
  /** refresh_delay written into REST pollers' EDS/RDS config sources, e.g. "1s". */
  XDS_REFRESH_DELAY?: string;
  /** How often (ms) a rollout's driver looks at its current step's convergence; default 1000. */
  ROLLOUT_TICK_MS?: string;
  /** Webhook retries: the first backoff delay (ms), doubled per failed attempt up to 10 min, ±25% jitter; default 1000. */
  WEBHOOK_RETRY_BASE_MS?: string;
  /** Attempts per webhook delivery before it is marked failed; default 12. */
  WEBHOOK_MAX_ATTEMPTS?: string;
  /** Objects per batch of a whole-mesh apply (staged, compiled and checked a batch at a time); default 1000. */
  APPLY_BATCH_OBJECTS?: string;
}

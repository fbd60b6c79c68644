import { parseDuration, toProtoDuration } from '../xds';
import { DomainError } from './domain/errors';
import type { Env } from './env';

/** The edge's variables (wrangler.toml [vars], .dev.vars, Worker secrets), parsed and defaulted. */
export interface Settings {
  /** XDS_FRESHNESS_MS: how long an isolate trusts its in-memory snapshot before re-checking D1's head revision. */
  freshnessMs: number;
  /** XDS_STATUS_FLUSH_MS: how often each isolate writes what pollers report to the proxies table. */
  statusFlushMs: number;
  /** STATUS_STALE_MS: a proxy not seen for this long is stale. */
  staleMs: number;
  /** STATUS_FORGET_MS: a proxy not seen for this long leaves the fleet (never less than staleMs). */
  forgetMs: number;
  /** XDS_REFRESH_DELAY as protobuf JSON (e.g. "1s"): the refresh_delay of REST pollers' config sources. */
  refreshDelay: string;
  /** ROLLOUT_TICK_MS: how often a rollout's driver looks at its current step's convergence. */
  rolloutTickMs: number;
  /** WEBHOOK_RETRY_BASE_MS: the first webhook retry delay, doubled per failed attempt. */
  webhookRetryBaseMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: attempts per webhook delivery before it is marked failed. */
  webhookMaxAttempts: number;
  /** APPLY_BATCH_OBJECTS: an apply of more objects than this is staged in D1 and compiled this many at a time (functions/domain/config/staged-apply.ts). */
  applyBatchObjects: number;
  /** TOKEN_RECHECK_MS: how often an isolate re-reads the revocation counter (the bound on a revoked token still working). */
  tokenRecheckMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: webhooks may target loopback, private and link-local addresses (local dev only). */
  webhookAllowPrivateTargets: boolean;
  /** ALLOW_ANONYMOUS_XDS: xDS pollers may read config without a token (local dev only). */
  allowAnonymousXds: boolean;
  /** The ADMIN_TOKEN secret, when set. */
  adminToken: string | undefined;
  /** The SECRETS_KEY secret (trimmed), when set; decoded where it is used (functions/domain/secrets/crypto.ts). */
  secretsKey: string | undefined;
  /** The SECRETS_KEY_PREVIOUS secret (trimmed), when set: read-only, for rotating SECRETS_KEY. */
  secretsKeyPrevious: string | undefined;
}

/** A variable holding a value it cannot mean: never replaced by the default, so the mistake is seen. */
export class SettingsError extends DomainError {
  constructor(
    readonly variable: keyof Env,
    readonly value: string,
    readonly expected: string,
  ) {
    super('bad-setting', `${variable}=${JSON.stringify(value)} is not ${expected}`);
  }
}

type Variable = keyof Env;

/** The variable's text, or undefined when unset or blank (then it takes its default). */
const textOf = (env: Env, name: Variable): string | undefined => {
  const raw = env[name];
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
};

const DECIMAL = /^\d+(\.\d+)?$/;

function milliseconds(env: Env, name: Variable, fallback: number, { zero }: { zero: boolean }): number {
  const text = textOf(env, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!DECIMAL.test(text) || (!zero && n === 0)) throw new SettingsError(name, text, `a number of milliseconds ${zero ? '(0 or more)' : 'greater than 0'}`);
  return n;
}

function count(env: Env, name: Variable, fallback: number): number {
  const text = textOf(env, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new SettingsError(name, text, 'a whole number, 1 or more');
  return Number(text);
}

function duration(env: Env, name: Variable, fallback: string): string {
  const text = textOf(env, name) ?? fallback;
  if (parseDuration(text) === undefined) throw new SettingsError(name, text, 'a duration such as "1s"');
  return toProtoDuration(text);
}

function flag(env: Env, name: Variable): boolean {
  const text = textOf(env, name);
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw new SettingsError(name, text, '"true" or "false"');
}

const secret = (env: Env, name: 'ADMIN_TOKEN' | 'SECRETS_KEY' | 'SECRETS_KEY_PREVIOUS') => env[name] || undefined;

function parseSettings(env: Env): Settings {
  return {
    freshnessMs: milliseconds(env, 'XDS_FRESHNESS_MS', 1000, { zero: true }),
    statusFlushMs: milliseconds(env, 'XDS_STATUS_FLUSH_MS', 5000, { zero: true }),
    staleMs: milliseconds(env, 'STATUS_STALE_MS', 60_000, { zero: false }),
    forgetMs: Math.max(milliseconds(env, 'STATUS_FORGET_MS', 600_000, { zero: false }), milliseconds(env, 'STATUS_STALE_MS', 60_000, { zero: false })),
    refreshDelay: duration(env, 'XDS_REFRESH_DELAY', '1s'),
    rolloutTickMs: milliseconds(env, 'ROLLOUT_TICK_MS', 1000, { zero: false }),
    webhookRetryBaseMs: milliseconds(env, 'WEBHOOK_RETRY_BASE_MS', 1000, { zero: false }),
    webhookMaxAttempts: count(env, 'WEBHOOK_MAX_ATTEMPTS', 12),
    applyBatchObjects: count(env, 'APPLY_BATCH_OBJECTS', 1000),
    tokenRecheckMs: milliseconds(env, 'TOKEN_RECHECK_MS', 1000, { zero: true }),
    webhookAllowPrivateTargets: flag(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS'),
    allowAnonymousXds: flag(env, 'ALLOW_ANONYMOUS_XDS'),
    adminToken: secret(env, 'ADMIN_TOKEN'),
    secretsKey: secret(env, 'SECRETS_KEY')?.trim() || undefined,
    secretsKeyPrevious: secret(env, 'SECRETS_KEY_PREVIOUS')?.trim() || undefined,
  };
}

const parsed = new WeakMap<Env, Settings>();

/**
 * The settings of this env, parsed once per env object. Throws a SettingsError (answered as a 500
 * naming the variable) when any variable is malformed; an unset or blank variable takes its default.
 */
export function settings(env: Env): Settings {
  let s = parsed.get(env);
  if (!s) parsed.set(env, (s = parseSettings(env)));
  return s;
}

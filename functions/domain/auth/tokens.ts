import { eq, sql } from 'drizzle-orm';
import { openDatabase } from '../db/store';
import { authEpoch, tokens } from '../db/schema';
import type { Env } from '../../env';
import { settings } from '../../settings';

export const SCOPES = ['config:read', 'config:write', 'xds:read', 'secrets:read', 'status:write', 'metrics:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the admin (the ADMIN_TOKEN secret) or a named, scoped token. */
export interface Principal {
  name: string;
  scopes: ReadonlySet<string>;
  /** The workload identity (SPIFFE ID) a proxy's token is bound to: what it may read is that identity's view. */
  identity?: string;
}

export const hasScope = (p: Principal, scope: Scope) => p.scopes.has('admin') || p.scopes.has(scope);

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Equal-length hex digests compared without an early exit. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// Per isolate: token hash → principal (or null for unknown), so steady polling does not hit D1 per token.
const CACHE_MS = 30_000;
const cache = new Map<string, { principal: Principal | null; until: number }>();
/** The auth_epoch this isolate's cache was filled under, and when it last read it. */
let epoch: { version: number; checkedAt: number; reading?: Promise<void> } = { version: -1, checkedAt: 0 };

/** Forget cached lookups (after a token is created or deleted in this isolate). */
export function forgetTokenCache(): void {
  cache.clear();
  epoch = { version: -1, checkedAt: 0 };
}

/**
 * The statement every token creation and deletion runs in its batch: other isolates see the counter move
 * within TOKEN_RECHECK_MS and drop what they cached, so a revoked token stops working everywhere by then.
 */
export const bumpAuthEpoch = (env: Pick<Env, 'DB'>) => openDatabase(env.DB).update(authEpoch).set({ version: sql`${authEpoch.version} + 1` }).where(eq(authEpoch.id, 1));

/** One small read per isolate per TOKEN_RECHECK_MS, whatever the number of tokens or requests. */
async function checkEpoch(env: Env): Promise<void> {
  if (Date.now() - epoch.checkedAt < settings(env).tokenRecheckMs) return;
  epoch.reading ??= (async () => {
    try {
      const row = await openDatabase(env.DB).select({ version: authEpoch.version }).from(authEpoch).where(eq(authEpoch.id, 1)).get();
      const version = row?.version ?? 0;
      if (version !== epoch.version) cache.clear();
      epoch = { version, checkedAt: Date.now() };
    } finally {
      epoch.reading = undefined;
    }
  })();
  await epoch.reading;
}

/** The auth_epoch as this isolate knows it (re-read at most every TOKEN_RECHECK_MS): caches of auth data key on it. */
export async function authEpochNow(env: Env): Promise<number> {
  await checkEpoch(env);
  return epoch.version;
}

export async function authenticate(env: Env, bearer: string | undefined): Promise<Principal | null> {
  if (!bearer) return null;
  const hash = await sha256Hex(bearer);
  const { adminToken } = settings(env);
  if (adminToken && sameDigest(hash, await sha256Hex(adminToken))) return { name: 'admin', scopes: new Set(['admin']) };
  await checkEpoch(env);
  const hit = cache.get(hash);
  if (hit && hit.until > Date.now()) return hit.principal;
  const row = await openDatabase(env.DB).select().from(tokens).where(eq(tokens.hash, hash)).get();
  const principal = row ? { name: row.name, scopes: new Set(row.scopes), ...(row.identity ? { identity: row.identity } : {}) } : null;
  if (cache.size > 10_000) cache.clear();
  cache.set(hash, { principal, until: Date.now() + CACHE_MS });
  return principal;
}

/** `Authorization: Bearer <token>` → the token. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { sha256Hex } from '../domain/auth/tokens';
import { idempotencyKeys } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { badRequest, ProblemError } from './problem';

/** How long a key is remembered: long enough for any CI retry loop. */
const RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * A running request's claim on its key holds this long and is renewed every third of it while the request
 * runs, so a write that died (a crash, an isolate cut off) frees its key within a minute.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;
const REPLAYED_HEADERS = ['content-type', 'etag', 'warning', 'location'];

/**
 * `Idempotency-Key` on writes (IETF draft-ietf-httpapi-idempotency-key-header): the first request
 * with a key runs and, if it succeeds, its answer is kept; a retry with the same key and the same
 * request gets that answer again (`idempotent-replayed: true`) and commits nothing; the same key with
 * a different request is a 422; a retry while the first is still running is a 409, and one after the first
 * died (its lease ran out) runs afresh. Failed requests and dry runs are not kept: nothing was committed,
 * so retrying them is safe. Runs after authentication (the caller is a valid token) and after the body
 * limit (the body it hashes is bounded).
 */
export function idempotency(): MiddlewareHandler<{ Bindings: Env }> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    if (key === undefined || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters', [{ path: 'header:Idempotency-Key', message: 'invalid key' }]);

    // A dry run commits nothing, so retrying it is as safe as the first try; its answer (every rendered
    // resource of a whole mesh) is no row to keep.
    if (new URL(c.req.url).searchParams.get('dryRun') === 'true') return next();
    const db = openDatabase(c.env.DB);
    const caller = await sha256Hex(c.req.header('authorization') ?? '');
    const body = await c.req.raw.clone().arrayBuffer();
    const url = new URL(c.req.url);
    const requestHash = await sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${c.req.header('content-type') ?? ''}\n${new TextDecoder().decode(body)}`);
    const now = Date.now();
    const where = and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key));

    const leaseUntil = (at: number) => new Date(at + IDEMPOTENCY_LEASE_MS).toISOString();
    // A claim is taken when the key is new, or when its holder died: no answer and its lease is over.
    const [, claimed] = await db.batch([
      db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(now - RETENTION_MS).toISOString())),
      db
        .insert(idempotencyKeys)
        .values({ caller, key, requestHash, createdAt: new Date(now).toISOString(), leaseUntil: leaseUntil(now) })
        .onConflictDoUpdate({
          target: [idempotencyKeys.caller, idempotencyKeys.key],
          set: { requestHash, createdAt: new Date(now).toISOString(), leaseUntil: leaseUntil(now) },
          // Claims from before leases (no lease_until) hold for a lease from their start.
          setWhere: and(isNull(idempotencyKeys.status), or(lt(idempotencyKeys.leaseUntil, new Date(now).toISOString()), and(isNull(idempotencyKeys.leaseUntil), lt(idempotencyKeys.createdAt, new Date(now - IDEMPOTENCY_LEASE_MS).toISOString())))),
        })
        .returning({ key: idempotencyKeys.key }),
    ]);
    if (!claimed.length) {
      const first = await db.select().from(idempotencyKeys).where(where).get();
      if (first && first.requestHash !== requestHash) {
        throw new ProblemError({ status: 422, title: 'Unprocessable Content', detail: 'this Idempotency-Key was used for a different request; use a new key' });
      }
      if (!first || first.status === null) throw new ProblemError({ status: 409, title: 'Conflict', detail: 'a request with this Idempotency-Key is still in progress; retry later', headers: { 'retry-after': '1' } });
      return new Response(first.body, { status: first.status, headers: { ...first.headers, 'idempotent-replayed': 'true' } });
    }

    let kept = false;
    const renew = setInterval(() => {
      db.update(idempotencyKeys).set({ leaseUntil: leaseUntil(Date.now()) }).where(and(where, isNull(idempotencyKeys.status))).run().catch(() => undefined);
    }, IDEMPOTENCY_LEASE_MS / 3);
    try {
      await next();
      clearInterval(renew);
      const res = c.res;
      if (res.status >= 200 && res.status < 300) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = res.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        try {
          await db.update(idempotencyKeys).set({ status: res.status, headers, body: await res.clone().text(), leaseUntil: null }).where(where);
          kept = true;
        } catch (err) {
          // An answer too large for a D1 row is still the answer: the write stands, only its replay is lost.
          console.error(JSON.stringify({ level: 'warn', requestId: c.get('requestId' as never), message: `Idempotency-Key answer not kept: ${(err as Error).message}` }));
        }
      }
    } finally {
      clearInterval(renew);
      if (!kept) await db.delete(idempotencyKeys).where(where);
    }
  };
}

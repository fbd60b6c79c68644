import { and, eq, lte, min } from 'drizzle-orm';
import { deliveries, webhooks } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { targetProblem } from '../domain/net/target-screen';
import { settings } from '../settings';
import { decryptWebhookSecret, rewrapWebhookSecret } from './secret-store';
import { signedHeaders } from './signing';

/** Deliveries sent per alarm run; more due re-arm the alarm at once (and keep each run within subrequest limits). */
const BATCH = 50;
/** Per attempt; Standard Webhooks suggests 15-30 s, but a CI hook that cannot answer in 10 s will be retried. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_DELAY_MS = 10 * 60_000;
const MAX_ERROR_CHARS = 300;

/** Exponential backoff after the `attempts`-th failure (base, 2×base, 4×base… capped), with ±25% jitter so retries do not march in step. */
export function retryDelayMs(attempts: number, baseMs: number, random = Math.random): number {
  const delay = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (0.75 + random() * 0.5));
}

/** Retry-After in seconds or as an HTTP date (RFC 9110), in ms from now. */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_DELAY_MS) : undefined;
}

const clip = (s: string) => (s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS - 1)}…` : s);

/** The start of a response body (what a failing receiver says), without reading a large one whole. */
async function bodyPrefix(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const decoder = new TextDecoder();
  const text = chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
  return text.replace(/\s+/g, ' ').trim();
}

export type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; retryAfterMs?: number; final?: boolean };

/** One POST: 2xx is delivered; anything else (3xx included: redirects are not followed) is a failure. */
export async function attempt(fetcher: typeof fetch, url: string, headers: Record<string, string>, body: string, now: number): Promise<AttemptResult> {
  try {
    const res = await fetcher(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      return { ok: true, status: res.status };
    }
    const said = await bodyPrefix(res).catch(() => '');
    const hint = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: register the final URL)' : res.status === 410 ? ' (the receiver is gone: not retried)' : '';
    const error = clip(`HTTP ${res.status}${hint}${said ? `: ${said}` : ''}`);
    const after = retryAfterMs(res.headers.get('retry-after'), now);
    return { ok: false, status: res.status, error, ...(after ? { retryAfterMs: after } : {}), ...(res.status === 410 ? { final: true } : {}) };
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return { ok: false, status: null, error: clip(timedOut ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : `could not connect: ${e.message}`) };
  }
}

export interface DeliverOptions {
  fetcher?: typeof fetch;
  random?: () => number;
}

/**
 * Sends every delivery that is due (oldest first) once, records how it went, and returns when the
 * next pending one is due (ms since epoch; null when none is pending). The dispatcher's alarm runs it.
 */
export async function deliverDue(env: Env, options: DeliverOptions = {}): Promise<number | null> {
  const fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  const { webhookRetryBaseMs, webhookMaxAttempts, webhookAllowPrivateTargets } = settings(env);
  const db = openDatabase(env.DB);
  const now = Date.now();
  const due = await db
    .select({ id: deliveries.id, webhook: deliveries.webhook, event: deliveries.event, payload: deliveries.payload, attempts: deliveries.attempts, url: webhooks.url, secretCipher: webhooks.secretCipher })
    .from(deliveries)
    .leftJoin(webhooks, eq(webhooks.name, deliveries.webhook))
    .where(and(eq(deliveries.status, 'pending'), lte(deliveries.nextAttemptAt, new Date(now).toISOString())))
    .orderBy(deliveries.nextAttemptAt, deliveries.createdAt)
    .limit(BATCH);

  const secrets = new Map<string, Promise<string>>();
  const updates = await Promise.all(
    due.map(async (d) => {
      const attempts = d.attempts + 1;
      let result: AttemptResult;
      const refused = d.url === null ? undefined : targetProblem(d.url, webhookAllowPrivateTargets);
      if (d.url === null || d.secretCipher === null) {
        result = { ok: false, status: null, error: 'the webhook was deleted', final: true };
      } else if (refused) {
        // Screened again at delivery: registered while the setting allowed it, or stored before screening.
        result = { ok: false, status: null, error: clip(`not sent: ${refused}`), final: true };
      } else {
        const cipher = d.secretCipher;
        if (!secrets.has(d.webhook)) {
          // After a key rotation: stored again under the current key (a failure only leaves it for next time).
          secrets.set(d.webhook, decryptWebhookSecret(env, d.webhook, cipher).then(async (secret) => (await rewrapWebhookSecret(env, d.webhook, cipher, secret).catch(() => undefined), secret)));
        }
        try {
          const headers = await signedHeaders(await secrets.get(d.webhook)!, d.id, d.event, d.payload, Date.now());
          result = await attempt(fetcher, d.url, headers, d.payload, now);
        } catch (err) {
          // Not sent unsigned: an operator problem (SECRETS_KEY), retried like a failed attempt.
          result = { ok: false, status: null, error: clip(`not sent: ${(err as Error).message}`) };
        }
      }
      const at = new Date().toISOString();
      if (result.ok) return { id: d.id, set: { status: 'delivered', attempts, lastStatus: result.status, lastError: null, deliveredAt: at, nextAttemptAt: null } };
      console.warn(JSON.stringify({ msg: 'webhook delivery failed', webhook: d.webhook, delivery: d.id, event: d.event, attempt: attempts, error: result.error }));
      if (result.final || attempts >= webhookMaxAttempts) return { id: d.id, set: { status: 'failed', attempts, lastStatus: result.status, lastError: result.error, nextAttemptAt: null } };
      const delay = Math.max(retryDelayMs(attempts, webhookRetryBaseMs, options.random), result.retryAfterMs ?? 0);
      return { id: d.id, set: { attempts, lastStatus: result.status, lastError: result.error, nextAttemptAt: new Date(Date.now() + delay).toISOString() } };
    }),
  );
  const statements = updates.map((u) => db.update(deliveries).set(u.set).where(and(eq(deliveries.id, u.id), eq(deliveries.status, 'pending'))));
  if (statements.length) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  return nextDueAt(env);
}

/** When the next pending delivery is due (ms since epoch), or null. */
export async function nextDueAt(env: Env): Promise<number | null> {
  const row = await openDatabase(env.DB).select({ at: min(deliveries.nextAttemptAt) }).from(deliveries).where(eq(deliveries.status, 'pending')).get();
  return row?.at ? Date.parse(row.at) : null;
}

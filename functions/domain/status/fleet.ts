import { lt } from 'drizzle-orm';
import { proxies } from '../db/schema';
import { openDatabase, type Database } from '../db/store';
import type { Env } from '../../env';
import { settings, type Settings } from '../../settings';

/**
 * The proxy lifecycle, in one place:
 * - live: seen (polled, or reported by its bridge) within STATUS_STALE_MS; judged by revision status;
 * - stale: not seen for STATUS_STALE_MS; listed and counted, waited for by nobody (not revision
 *   status, not `--wait`, not rollouts, which all judge by revision status);
 * - gone: not seen for STATUS_FORGET_MS; not listed, not counted, and its row deleted. A proxy that
 *   comes back is a new row.
 */
export type FleetBounds = Pick<Settings, 'staleMs' | 'forgetMs'>;

/** Rows seen before this ISO time are gone. Readers filter on it, so the rule holds whenever the rows are deleted. */
export const fleetCutoff = (now: number, forgetMs: number) => new Date(now - forgetMs).toISOString();

/** Deletes the rows of proxies gone by `now`. Returns how many. */
export async function forgetGoneProxies(db: Database, now: number, forgetMs: number): Promise<number> {
  const deleted = await db.delete(proxies).where(lt(proxies.lastSeen, fleetCutoff(now, forgetMs))).returning({ nodeId: proxies.nodeId });
  if (deleted.length) console.log(JSON.stringify({ level: 'info', msg: 'proxies left the fleet', count: deleted.length, forgetMs }));
  return deleted.length;
}

/** At most one sweep per isolate this often: each status write may call it. */
const SWEEP_EVERY_MS = 60_000;
let lastSweep = 0;

/** Makes the next forgetGoneProxiesIfDue sweep (tests). */
export function resetForgetSweep(): void {
  lastSweep = 0;
}

/**
 * Deletes gone proxies at most once a minute per isolate, in `waitUntil`: called by bridge reports
 * and GET /proxies (not the REST poll path, which must cost no query of its own) and by the cron, so
 * it happens under `wrangler dev` too, where cron triggers do not fire. Never rejects.
 */
export function forgetGoneProxiesIfDue(env: Env, waitUntil: (p: Promise<unknown>) => void, now = Date.now()): void {
  if (now - lastSweep < SWEEP_EVERY_MS) return;
  lastSweep = now;
  waitUntil(
    forgetGoneProxies(openDatabase(env.DB), now, settings(env).forgetMs).catch((err) => {
      lastSweep = 0;
      console.warn(JSON.stringify({ msg: 'could not forget gone proxies', error: String(err) }));
    }),
  );
}

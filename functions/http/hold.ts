import { badRequest } from './problem';

/** The longest a request may be held (`?wait=`): well inside any proxy's idle timeout. */
export const MAX_WAIT_SECONDS = 300;
/** How often a held request re-reads D1: fast enough for CI, one small query each time. */
const HOLD_POLL_MS = 500;

/** `?wait=<seconds>` as milliseconds (0 when absent); anything else is a 400 naming `wait`. */
export function waitParam(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0 || s > MAX_WAIT_SECONDS) throw badRequest(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, [{ path: 'wait', message: `expected seconds from 0 to ${MAX_WAIT_SECONDS}, got ${JSON.stringify(raw)}` }]);
  return s * 1000;
}

/**
 * Re-reads `load` every half second while `unsettled` holds and `waitMs` (from now) has not passed,
 * and returns the last value. A timer, not a busy loop: the isolate serves other requests meanwhile.
 */
export async function holdWhile<T>(waitMs: number, first: T, unsettled: (value: T) => boolean, load: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  let value = first;
  while (unsettled(value) && Date.now() < deadline) {
    await scheduler.wait(Math.min(HOLD_POLL_MS, deadline - Date.now()));
    value = await load();
  }
  return value;
}

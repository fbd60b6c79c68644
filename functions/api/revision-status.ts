import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../auth/require-scope';
import { revisions } from '../db/schema';
import { openDatabase, readHeadRevision } from '../db/store';
import type { Env } from '../env';
import { badRequest, notFound } from '../http/problem';
import { staleBoundMs } from './proxy-state';
import { statusOf } from './revision-phase';
import type { RevisionStatus } from './revision-schemas';
import { revisionParam } from './revisions';

const MAX_WAIT_SECONDS = 300;
/** How often a held request re-reads D1: fast enough for CI, one small query each time. */
const WAIT_POLL_MS = 500;

function waitParam(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0 || s > MAX_WAIT_SECONDS) throw badRequest(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, [{ path: 'wait', message: `expected seconds from 0 to ${MAX_WAIT_SECONDS}, got ${JSON.stringify(raw)}` }]);
  return s;
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * GET /revisions/{n}/status: how far revision n has reached, from what pollers and bridges reported.
 * `?wait=<seconds>` holds the request while the rollout is pending, so CI needs no polling loop of
 * its own; the answer is the last state either way.
 */
app.get('/revisions/:n/status', requireScope('config:read'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const waitMs = waitParam(c.req.query('wait')) * 1000;
  const deadline = Date.now() + waitMs;
  const db = openDatabase(c.env.DB);
  const found = await db.select({ id: revisions.id }).from(revisions).where(eq(revisions.id, n)).get();
  if (!found) throw notFound(`revision ${n} does not exist`);
  const staleMs = staleBoundMs(c.env);
  let status = await statusOf(db, n, staleMs);
  while (status.phase === 'pending' && Date.now() < deadline) {
    // A timer, not a loop: the isolate serves other requests meanwhile.
    await scheduler.wait(Math.min(WAIT_POLL_MS, deadline - Date.now()));
    status = await statusOf(db, n, staleMs);
  }
  // Read last: a rollout may have moved on while this request waited.
  const head = await readHeadRevision(db);
  return c.json({ revision: n, head, ...status } satisfies RevisionStatus);
});

export default app;

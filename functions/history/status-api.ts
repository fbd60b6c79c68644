import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { revisions } from '../domain/db/schema';
import { openDatabase, readHeadRevision } from '../domain/db/store';
import type { Env } from '../env';
import { holdWhile, waitParam } from '../http/hold';
import { notFound } from '../http/problem';
import { settings } from '../settings';
import { statusOf } from '../domain/status/revision-phase';
import type { RevisionStatus } from './revision-schemas';
import { revisionParam } from './api';

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

/**
 * GET /revisions/{n}/status: how far revision n has reached, from what pollers and bridges reported.
 * `?wait=<seconds>` holds the request while the rollout is pending, so CI needs no polling loop of
 * its own; the answer is the last state either way.
 */
app.get('/revisions/:n/status', requireScope('config:read'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const waitMs = waitParam(c.req.query('wait'));
  const db = openDatabase(c.env.DB);
  const found = await db.select({ id: revisions.id }).from(revisions).where(eq(revisions.id, n)).get();
  if (!found) throw notFound(`revision ${n} does not exist`);
  const bounds = settings(c.env);
  const status = await holdWhile(waitMs, await statusOf(db, n, bounds), (s) => s.phase === 'pending', () => statusOf(db, n, bounds));
  // Read last: a rollout may have moved on while this request waited.
  const head = await readHeadRevision(db);
  return c.json({ revision: n, head, ...status } satisfies RevisionStatus);
});

export default app;

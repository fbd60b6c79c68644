import { and, desc, eq, lt, lte, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { IntentObject } from '../../xds';
import { requireScope, type AuthVariables } from '../auth/require-scope';
import { objectHistory, objects, revisions, type ObjectRow, type RevisionRow } from '../db/schema';
import { openDatabase, rowToIntent } from '../db/store';
import type { Env } from '../env';
import { requestSource } from '../http/body';
import { badRequest, notFound } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { keyOf, type ObjectKey } from './api-object';
import { commitChanges, type Change } from './commit';

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

const toApi = (r: RevisionRow) => ({ revision: r.id, createdAt: r.createdAt, author: r.author, source: r.source, changes: r.changes, configHash: r.configHash });

export function revisionParam(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`"${raw}" is not a revision number`, [{ path: 'revision', message: 'expected a positive integer' }]);
  return n;
}

app.get('/revisions', requireScope('config:read'), async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 500);
  const before = c.req.query('before');
  const db = openDatabase(c.env.DB);
  const rows = await db
    .select()
    .from(revisions)
    .where(before ? lt(revisions.id, revisionParam(before)) : undefined)
    .orderBy(desc(revisions.id))
    .limit(limit);
  const last = rows.at(-1);
  return c.json({ items: rows.map(toApi), ...(rows.length === limit && last ? { next: `?before=${last.id}&limit=${limit}` } : {}) });
});

app.get('/revisions/:n', requireScope('config:read'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const row = await openDatabase(c.env.DB).select().from(revisions).where(eq(revisions.id, n)).get();
  if (!row) throw notFound(`revision ${n} does not exist`);
  return c.json(toApi(row));
});

/** Restores the state as of revision n: a new revision, validated and translated like any write. */
app.post('/revisions/:n/rollback', requireScope('config:write'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const db = openDatabase(c.env.DB);
  const target = await db.select({ id: revisions.id }).from(revisions).where(eq(revisions.id, n)).get();
  if (!target) throw notFound(`revision ${n} does not exist`);
  // Each object's newest history row at or before n; a null object there means it was deleted.
  const latest = db
    .select({ kind: objectHistory.kind, namespace: objectHistory.namespace, name: objectHistory.name, latestRevision: sql<number>`max(${objectHistory.revision})`.as('latest_revision') })
    .from(objectHistory)
    .where(lte(objectHistory.revision, n))
    .groupBy(objectHistory.kind, objectHistory.namespace, objectHistory.name)
    .as('latest');
  const [asOfN, current] = await db.batch([
    db
      .select({ object: objectHistory.object, kind: objectHistory.kind, namespace: objectHistory.namespace, name: objectHistory.name })
      .from(objectHistory)
      .innerJoin(latest, and(eq(objectHistory.kind, latest.kind), eq(objectHistory.namespace, latest.namespace), eq(objectHistory.name, latest.name), eq(objectHistory.revision, latest.latestRevision))),
    db.select({ kind: objects.kind, namespace: objects.namespace, name: objects.name }).from(objects),
  ]);
  const wanted = new Map<string, IntentObject>();
  for (const h of asOfN) {
    // History rows hold the object row as stored (null: deleted at that revision).
    if (h.object) wanted.set(keyOf(h as ObjectKey), rowToIntent(h.object as unknown as ObjectRow));
  }
  const changes: Change[] = [...wanted.values()].map((object) => ({ op: 'put', object }));
  for (const row of current) if (!wanted.has(keyOf(row as ObjectKey))) changes.push({ op: 'delete', key: row as ObjectKey });
  const outcome = await commitChanges(c.env.DB, changes, { author: c.get('principal').name, source: { ...requestSource(c), rollbackTo: String(n) } });
  setWarningHeaders(c, outcome.warnings);
  return c.json({ revision: outcome.revision, committed: outcome.committed, rolledBackTo: n, changes: outcome.changes.filter((ch) => ch.op !== 'unchanged'), warnings: outcome.warnings }, outcome.committed ? 201 : 200);
});

export default app;

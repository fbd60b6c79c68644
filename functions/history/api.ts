import { desc, eq, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import type { IntentObject } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { objects, revisions, type RevisionRow } from '../domain/db/schema';
import { openDatabase, rowToIntent } from '../domain/db/store';
import type { Env } from '../env';
import { revisionDiff } from './revision-diff';
import { RevisionListQuerySchema, RevisionQuerySchema } from './schemas';
import { objectsAsOf } from './state';
import { requestSource } from '../http/body';
import { badRequest, notFound } from '../http/problem';
import { parseQuery } from '../http/query';
import { setWarningHeaders } from '../http/warnings';
import { rolloutOverride } from '../http/rollout-override';
import { keyOf, type ObjectKey } from '../domain/config/object-key';
import { commitChanges, type Change } from '../domain/config/commit';

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

const toApi = (r: RevisionRow) => ({ revision: r.id, createdAt: r.createdAt, author: r.author, source: r.source, changes: r.changes, ...(r.changesTotal !== null ? { changesTotal: r.changesTotal } : {}), configHash: r.configHash, outcome: r.outcome ?? null });

export function revisionParam(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`"${raw}" is not a revision number`, [{ path: 'revision', message: 'expected a positive integer' }]);
  return n;
}

/** Newest first, paged with `?before=<revision>&limit=`. */
app.get('/revisions', requireScope('config:read'), async (c) => {
  const q = parseQuery(c.req.url, RevisionListQuerySchema);
  const limit = q.limit ?? 50;
  const db = openDatabase(c.env.DB);
  const rows = await db
    .select()
    .from(revisions)
    .where(q.before ? lt(revisions.id, Number(q.before)) : undefined)
    .orderBy(desc(revisions.id))
    .limit(limit);
  const last = rows.at(-1);
  return c.json({ items: rows.map(toApi), ...(rows.length === limit && last ? { next: `?before=${last.id}&limit=${limit}` } : {}) });
});

/** One revision: who, when, from which CI run, and (unless `?diff=false`) what it changed against n-1. */
app.get('/revisions/:n', requireScope('config:read'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const q = parseQuery(c.req.url, RevisionQuerySchema);
  const db = openDatabase(c.env.DB);
  const row = await db.select().from(revisions).where(eq(revisions.id, n)).get();
  if (!row) throw notFound(`revision ${n} does not exist`);
  if (q.diff === 'false') return c.json(toApi(row));
  return c.json({ ...toApi(row), diff: await revisionDiff(db, n) });
});

/** Restores the state as of revision n: a new revision, validated and translated like any write. */
app.post('/revisions/:n/rollback', requireScope('config:write'), async (c) => {
  const n = revisionParam(c.req.param('n'));
  const db = openDatabase(c.env.DB);
  const target = await db.select({ id: revisions.id }).from(revisions).where(eq(revisions.id, n)).get();
  if (!target) throw notFound(`revision ${n} does not exist`);
  const [asOfN, current] = await Promise.all([objectsAsOf(db, n), db.select({ kind: objects.kind, namespace: objects.namespace, name: objects.name }).from(objects)]);
  const wanted = new Map<string, IntentObject>([...asOfN].map(([key, row]) => [key, rowToIntent(row)]));
  const changes: Change[] = [...wanted.values()].map((object) => ({ op: 'put', object }));
  for (const row of current) if (!wanted.has(keyOf(row as ObjectKey))) changes.push({ op: 'delete', key: row as ObjectKey });
  const outcome = await commitChanges(c.env, changes, { author: c.get('principal').name, source: { ...requestSource(c), rollbackTo: String(n) }, ...rolloutOverride(c) });
  setWarningHeaders(c, outcome.warnings);
  return c.json({ revision: outcome.revision, committed: outcome.committed, rolledBackTo: n, changes: outcome.changes.filter((ch) => ch.op !== 'unchanged'), warnings: outcome.warnings }, outcome.committed ? 201 : 200);
});

export default app;

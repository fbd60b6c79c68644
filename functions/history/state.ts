import { and, eq, lte, sql } from 'drizzle-orm';
import { objectHistory, type ObjectRow } from '../domain/db/schema';
import type { Database } from '../domain/db/store';
import { keyOf, type ObjectKey } from '../domain/config/object-key';

/** One object's history row: the object as stored, or null when that revision deleted it. */
export interface HistoryRow extends ObjectKey {
  object: ObjectRow | null;
}

/** Each object's newest history row at or before revision n. */
function latestAsOf(db: Database, n: number) {
  const latest = db
    .select({ kind: objectHistory.kind, namespace: objectHistory.namespace, name: objectHistory.name, latestRevision: sql<number>`max(${objectHistory.revision})`.as('latest_revision') })
    .from(objectHistory)
    .where(lte(objectHistory.revision, n))
    .groupBy(objectHistory.kind, objectHistory.namespace, objectHistory.name)
    .as('latest');
  return db
    .select({ object: objectHistory.object, kind: objectHistory.kind, namespace: objectHistory.namespace, name: objectHistory.name })
    .from(objectHistory)
    .innerJoin(latest, and(eq(objectHistory.kind, latest.kind), eq(objectHistory.namespace, latest.namespace), eq(objectHistory.name, latest.name), eq(objectHistory.revision, latest.latestRevision)));
}

const changedAt = (db: Database, n: number) =>
  db.select({ object: objectHistory.object, kind: objectHistory.kind, namespace: objectHistory.namespace, name: objectHistory.name }).from(objectHistory).where(eq(objectHistory.revision, n));

/** The object rows that existed as of a revision, by `Kind/ns/name` (deleted objects absent). */
function live(rows: { object: unknown; kind: string; namespace: string; name: string }[]): Map<string, ObjectRow> {
  const out = new Map<string, ObjectRow>();
  // History rows hold the object row as stored (null: deleted at that revision).
  for (const h of rows) if (h.object) out.set(keyOf(h as ObjectKey), h.object as unknown as ObjectRow);
  return out;
}

/** Every object as of revision n, rebuilt from object_history (n = 0: before the first revision, nothing). */
export async function objectsAsOf(db: Database, n: number): Promise<Map<string, ObjectRow>> {
  return n < 1 ? new Map() : live(await latestAsOf(db, n));
}

/** The objects as of revision n-1 and what revision n wrote (one D1 batch): enough to diff n against n-1. */
export async function revisionDelta(db: Database, n: number): Promise<{ before: Map<string, ObjectRow>; changed: HistoryRow[] }> {
  if (n <= 1) return { before: new Map(), changed: (await changedAt(db, n)) as HistoryRow[] };
  const [before, changed] = await db.batch([latestAsOf(db, n - 1), changedAt(db, n)]);
  return { before: live(before), changed: changed as HistoryRow[] };
}

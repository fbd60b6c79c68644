import { desc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { IntentKind, IntentObject } from '../../../xds/intent/types';
import * as schema from './schema';

export type Database = ReturnType<typeof openDatabase>;

export function openDatabase(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** The intent set as of the newest revision, read in one batch so objects and revision agree. */
export interface IntentState {
  revision: number;
  configHash: string;
  objects: IntentObject[];
}

/** Head revision only: the cheap freshness check of the poll path (0 before the first write). */
export async function readHeadRevision(db: Database): Promise<number> {
  const row = await db.select({ id: schema.revisions.id }).from(schema.revisions).orderBy(desc(schema.revisions.id)).limit(1).get();
  return row?.id ?? 0;
}

export async function readIntentState(db: Database): Promise<IntentState> {
  const [head, rows] = await db.batch([
    db.select({ id: schema.revisions.id, configHash: schema.revisions.configHash }).from(schema.revisions).orderBy(desc(schema.revisions.id)).limit(1),
    db.select().from(schema.objects),
  ]);
  return {
    revision: head[0]?.id ?? 0,
    configHash: head[0]?.configHash ?? '',
    objects: rows.map(rowToIntent),
  };
}

export function rowToIntent(row: schema.ObjectRow): IntentObject {
  const metadata: IntentObject['metadata'] = { name: row.name, namespace: row.namespace };
  if (Object.keys(row.labels).length) metadata.labels = row.labels;
  if (Object.keys(row.annotations).length) metadata.annotations = row.annotations;
  return { apiVersion: row.apiVersion, kind: row.kind as IntentKind, metadata, spec: row.spec };
}

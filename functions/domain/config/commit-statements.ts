import { refsOf, type ObjectRef } from '../../../xds';
import type { ObjectRow, RevisionChange } from '../db/schema';
import { rowToIntent } from '../db/store';
import { jsonBatches } from './json-batches';

/**
 * The statements of one commit, for one D1 batch (a transaction). Rows go in as JSON arrays through
 * json_each, a megabyte at a time: a whole mesh's apply is tens of statements, not one per object, which
 * keeps it inside D1's per-invocation query limit and its 2 MB limit per bound value.
 */
export interface RevisionRecord {
  id: number;
  author: string;
  source: Record<string, string>;
  changes: RevisionChange[];
  configHash: string;
  root: string;
}

export interface TouchedObject {
  key: string;
  /** The object after the change; null when it was deleted. */
  row: ObjectRow | null;
}

const keyParts = (key: string) => key.split('/') as [string, string, string];

/**
 * A revision row lists at most this much of its changes: D1 rows are capped at 2 MB, and a whole mesh's
 * apply changes tens of thousands of objects. The rest are in object_history under the revision.
 */
const MAX_LISTED_CHANGES_CHARS = 1_000_000;

/** A revision's change list as its row keeps it: the first MAX_LISTED_CHANGES_CHARS of it, and the total once it is cut. */
export class ListedChanges {
  private readonly listed: string[] = [];
  private size = 2;
  private cut = false;
  count = 0;

  add(change: RevisionChange): void {
    this.count++;
    if (this.cut) return;
    const text = JSON.stringify(change);
    if (this.size + text.length + 1 > MAX_LISTED_CHANGES_CHARS) {
      this.cut = true;
      return;
    }
    this.listed.push(text);
    this.size += text.length + 1;
  }

  get json(): string {
    return `[${this.listed.join(',')}]`;
  }

  get total(): number | null {
    return this.cut ? this.count : null;
  }
}

function listedChanges(changes: RevisionChange[]): { json: string; total: number | null } {
  const list = new ListedChanges();
  for (const c of changes) list.add(c);
  return { json: list.json, total: list.total };
}

const revisionStatement = (db: D1Database, revision: Omit<RevisionRecord, 'changes'>, changes: { json: string; total: number | null }) =>
  db
    .prepare('INSERT INTO revisions (id, author, source, changes, changes_total, config_hash, root) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
    .bind(revision.id, revision.author, JSON.stringify(revision.source), changes.json, changes.total, revision.configHash, revision.root);

export function commitStatements(db: D1Database, revision: RevisionRecord, touched: TouchedObject[], options: { rebuildRefs?: ObjectRow[] } = {}): D1PreparedStatement[] {
  const changes = listedChanges(revision.changes);
  // First: the revision id is the primary key, so a concurrent writer of the same revision fails here and nothing else applies.
  const statements: D1PreparedStatement[] = [revisionStatement(db, revision, changes)];
  const puts = touched.filter((t) => t.row).map((t) => t.row!);
  const gone = touched.filter((t) => !t.row).map((t) => keyParts(t.key));
  for (const batch of jsonBatches(puts)) {
    statements.push(
      db
        .prepare(
          `INSERT INTO objects (kind, namespace, name, api_version, labels, annotations, spec, uid, resource_version, generation, created_at)
           SELECT json_extract(value, '$.kind'), json_extract(value, '$.namespace'), json_extract(value, '$.name'), json_extract(value, '$.apiVersion'),
                  json(json_extract(value, '$.labels')), json(json_extract(value, '$.annotations')), json(json_extract(value, '$.spec')),
                  json_extract(value, '$.uid'), json_extract(value, '$.resourceVersion'), json_extract(value, '$.generation'), json_extract(value, '$.createdAt')
           FROM json_each(?1) WHERE true
           ON CONFLICT (kind, namespace, name) DO UPDATE SET api_version = excluded.api_version, labels = excluded.labels, annotations = excluded.annotations,
             spec = excluded.spec, uid = excluded.uid, resource_version = excluded.resource_version, generation = excluded.generation, created_at = excluded.created_at`,
        )
        .bind(batch),
    );
  }
  for (const batch of jsonBatches(gone)) {
    statements.push(db.prepare(`DELETE FROM objects WHERE (kind, namespace, name) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?1))`).bind(batch));
  }
  const history = touched.map((t) => [...keyParts(t.key), t.row]);
  for (const batch of jsonBatches(history)) {
    statements.push(
      db
        .prepare(`INSERT INTO object_history (revision, kind, namespace, name, object) SELECT ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json(json_extract(value, '$[3]')) FROM json_each(?1)`)
        .bind(batch, revision.id),
    );
  }
  // The reference index follows the objects: rebuilt whole when it may be missing (a database from before it), else per object.
  const refRows = (rows: ObjectRow[]) => rows.flatMap((row) => refsOf(rowToIntent(row)).map((r: ObjectRef) => [row.kind, row.namespace, row.name, r.role, r.ref]));
  if (options.rebuildRefs) {
    statements.push(db.prepare('DELETE FROM object_refs'));
  } else {
    for (const batch of jsonBatches(touched.map((t) => keyParts(t.key)))) {
      statements.push(db.prepare(`DELETE FROM object_refs WHERE (kind, namespace, name) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?1))`).bind(batch));
    }
  }
  for (const batch of jsonBatches(refRows(options.rebuildRefs ?? puts))) {
    statements.push(
      db
        .prepare(`INSERT OR IGNORE INTO object_refs (kind, namespace, name, role, ref) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?1)`)
        .bind(batch),
    );
  }
  return statements;
}

/**
 * Stages objects of a whole-mesh apply (staged-apply.ts): rows, or deletes, with their compile order and
 * references, a megabyte of JSON per statement.
 */
export function stagingStatements(db: D1Database, applyId: string, stagedAt: string, staged: { key: string; row: ObjectRow | null; pass: number; sortKey: string }[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const values = staged.map(({ key, row, pass, sortKey }) => [...keyParts(key), row ? 0 : 1, pass, sortKey, row?.apiVersion, row?.labels, row?.annotations, row?.spec, row?.uid, row?.resourceVersion, row?.generation, row?.createdAt]);
  for (const batch of jsonBatches(values)) {
    statements.push(
      db
        .prepare(
          `INSERT INTO apply_staging (apply_id, kind, namespace, name, deleted, pass, sort_key, applied, api_version, labels, annotations, spec, uid, resource_version, generation, created_at, staged_at)
           SELECT ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), 0,
                  json_extract(value, '$[6]'), json(json_extract(value, '$[7]')), json(json_extract(value, '$[8]')), json(json_extract(value, '$[9]')),
                  json_extract(value, '$[10]'), json_extract(value, '$[11]'), json_extract(value, '$[12]'), json_extract(value, '$[13]'), ?3
           FROM json_each(?1)`,
        )
        .bind(batch, applyId, stagedAt),
    );
  }
  const refRows = staged.flatMap(({ key, row }) => (row ? refsOf(rowToIntent(row)).map((r: ObjectRef) => [...keyParts(key), r.role, r.ref]) : []));
  for (const batch of jsonBatches(refRows)) {
    statements.push(
      db
        .prepare(`INSERT OR IGNORE INTO apply_staging_refs (apply_id, kind, namespace, name, role, ref) SELECT ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?1)`)
        .bind(batch, applyId),
    );
  }
  return statements;
}

/** Removes a staged apply's rows (its commit's last statements, or the cleanup of one refused or lost). */
export const unstageStatements = (db: D1Database, applyId: string): D1PreparedStatement[] => [
  db.prepare('DELETE FROM apply_staging_refs WHERE apply_id = ?1').bind(applyId),
  db.prepare('DELETE FROM apply_staging WHERE apply_id = ?1').bind(applyId),
];

/**
 * The one batch that commits a staged apply: the revision row first (the same compare-and-set as every
 * write), then the staged rows copied into objects, object_history and object_refs inside D1, so the
 * commit binds no object and stays a handful of statements whatever the mesh.
 */
export function stagedCommitStatements(db: D1Database, revision: Omit<RevisionRecord, 'changes'>, changes: { json: string; total: number | null }, applyId: string): D1PreparedStatement[] {
  const mine = `FROM apply_staging WHERE apply_id = ?1`;
  return [
    revisionStatement(db, revision, changes),
    db
      .prepare(
        `INSERT INTO objects (kind, namespace, name, api_version, labels, annotations, spec, uid, resource_version, generation, created_at)
         SELECT kind, namespace, name, api_version, labels, annotations, spec, uid, resource_version, generation, created_at ${mine} AND deleted = 0
         ON CONFLICT (kind, namespace, name) DO UPDATE SET api_version = excluded.api_version, labels = excluded.labels, annotations = excluded.annotations,
           spec = excluded.spec, uid = excluded.uid, resource_version = excluded.resource_version, generation = excluded.generation, created_at = excluded.created_at`,
      )
      .bind(applyId),
    db.prepare(`DELETE FROM objects WHERE (kind, namespace, name) IN (SELECT kind, namespace, name ${mine} AND deleted = 1)`).bind(applyId),
    // As commitStatements' history rows: the ObjectRow as JSON, null for a delete.
    db
      .prepare(
        `INSERT INTO object_history (revision, kind, namespace, name, object)
         SELECT ?2, kind, namespace, name, CASE WHEN deleted = 1 THEN NULL ELSE json_object('kind', kind, 'namespace', namespace, 'name', name, 'apiVersion', api_version,
           'labels', json(labels), 'annotations', json(annotations), 'spec', json(spec), 'uid', uid, 'resourceVersion', resource_version, 'generation', generation, 'createdAt', created_at) END ${mine}`,
      )
      .bind(applyId, revision.id),
    db.prepare(`DELETE FROM object_refs WHERE (kind, namespace, name) IN (SELECT kind, namespace, name ${mine})`).bind(applyId),
    db.prepare(`INSERT OR IGNORE INTO object_refs (kind, namespace, name, role, ref) SELECT kind, namespace, name, role, ref FROM apply_staging_refs WHERE apply_id = ?1`).bind(applyId),
    ...unstageStatements(db, applyId),
  ];
}

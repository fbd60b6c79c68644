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

function listedChanges(changes: RevisionChange[]): { json: string; total: number | null } {
  const json = JSON.stringify(changes);
  if (json.length <= MAX_LISTED_CHANGES_CHARS) return { json, total: null };
  const listed: string[] = [];
  let size = 2;
  for (const c of changes) {
    const text = JSON.stringify(c);
    if (size + text.length + 1 > MAX_LISTED_CHANGES_CHARS) break;
    listed.push(text);
    size += text.length + 1;
  }
  return { json: `[${listed.join(',')}]`, total: changes.length };
}

export function commitStatements(db: D1Database, revision: RevisionRecord, touched: TouchedObject[], options: { rebuildRefs?: ObjectRow[] } = {}): D1PreparedStatement[] {
  const changes = listedChanges(revision.changes);
  const statements: D1PreparedStatement[] = [
    // First: the revision id is the primary key, so a concurrent writer of the same revision fails here and nothing else applies.
    db
      .prepare('INSERT INTO revisions (id, author, source, changes, changes_total, config_hash, root) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
      .bind(revision.id, revision.author, JSON.stringify(revision.source), changes.json, changes.total, revision.configHash, revision.root),
  ];
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

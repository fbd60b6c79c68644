import type { ConfigSource, IntentObject, ObjectRef } from '../../../xds';
import type { ObjectRow } from '../db/schema';
import { rowToIntent } from '../db/store';
import { jsonBatches } from './json-batches';

/** An `objects` row as D1 returns it (snake_case, JSON as text). */
export interface RawObjectRow {
  kind: string;
  namespace: string;
  name: string;
  api_version: string;
  labels: string;
  annotations: string;
  spec: string;
  uid: string;
  resource_version: number;
  generation: number;
  created_at: string;
}

export const objectRowOf = (r: RawObjectRow): ObjectRow => ({
  kind: r.kind,
  namespace: r.namespace,
  name: r.name,
  apiVersion: r.api_version,
  labels: JSON.parse(r.labels) as Record<string, string>,
  annotations: JSON.parse(r.annotations) as Record<string, string>,
  spec: JSON.parse(r.spec) as Record<string, unknown>,
  uid: r.uid,
  resourceVersion: r.resource_version,
  generation: r.generation,
  createdAt: r.created_at,
});

/** Rows of the given keys (`Kind/namespace/name`), by key: what a write changes, read alone. */
export async function readObjectRows(db: D1Database, keys: string[]): Promise<Map<string, ObjectRow>> {
  if (!keys.length) return new Map();
  const statement = db.prepare(
    `SELECT o.* FROM json_each(?1) j JOIN objects o
      ON o.kind = json_extract(j.value, '$[0]') AND o.namespace = json_extract(j.value, '$[1]') AND o.name = json_extract(j.value, '$[2]')`,
  );
  // One batch: a whole mesh's keys take several statements, read as one snapshot.
  const results = await db.batch<RawObjectRow>(jsonBatches(keys.map((k) => k.split('/'))).map((json) => statement.bind(json)));
  return new Map(results.flatMap((r) => r.results).map((r) => [`${r.kind}/${r.namespace}/${r.name}`, objectRowOf(r)]));
}

/** Every object row, by key: the full compile's read (and a database's first publish). */
export async function readAllRows(db: D1Database): Promise<Map<string, ObjectRow>> {
  const { results } = await db.prepare('SELECT * FROM objects').all<RawObjectRow>();
  return new Map(results.map((r) => [`${r.kind}/${r.namespace}/${r.name}`, objectRowOf(r)]));
}

/** The object rows a fixed condition selects (a constant of the caller's, never user input). */
export async function readRowsWhere(db: D1Database, condition: string): Promise<ObjectRow[]> {
  const { results } = await db.prepare(`SELECT * FROM objects WHERE ${condition}`).all<RawObjectRow>();
  return results.map(objectRowOf);
}

/**
 * A staged apply's objects laid over the stored ones (staged-apply.ts): `applied` sees the batches
 * compiled so far (the state the next batch changes), `all` every staged object (the state the apply
 * commits). A staged row shadows the stored object of its key; a staged delete hides it.
 */
export interface StagingOverlay {
  applyId: string;
  scope: 'applied' | 'all';
}

const OBJECT_COLUMNS = 'kind, namespace, name, api_version, labels, annotations, spec, uid, resource_version, generation, created_at';
const UUID = /^[0-9a-f-]{36}$/;
/** Staged references by (role, ref): without ANALYZE statistics SQLite takes the primary key (apply_id, …), a scan of every staged reference (3.4 s a query at 2,000 services). */
const STAGED_REFS = 'apply_staging_refs r INDEXED BY apply_staging_refs_ref';

/** SQL for the objects and references an overlay makes visible (the apply id is ours, a UUID, checked before it is inlined). */
function overlaySql(overlay: StagingOverlay) {
  if (!UUID.test(overlay.applyId)) throw new Error(`not an apply id: ${overlay.applyId}`);
  const id = `'${overlay.applyId}'`;
  const visible = (s: string) => (overlay.scope === 'all' ? '1' : `${s}.applied = 1`);
  const shadowed = (t: string) => `EXISTS (SELECT 1 FROM apply_staging s WHERE s.apply_id = ${id} AND s.kind = ${t}.kind AND s.namespace = ${t}.namespace AND s.name = ${t}.name AND ${visible('s')})`;
  /** The references matching `where` (over alias r), or those equal to a (role, ref) of the table `via` (by the index). */
  const refs = (where: string, via?: string) => {
    // CROSS JOIN: SQLite then loops over the (few) wanted references and probes the (role, ref) index, never scanning the refs.
    const join = (table: string) => (via ? `${via} CROSS JOIN ${table} ON r.role = ${via}.role AND r.ref = ${via}.ref` : table);
    return `SELECT r.kind, r.namespace, r.name, r.role, r.ref FROM ${join('object_refs r')} WHERE (${where}) AND NOT ${shadowed('r')}
     UNION ALL
     SELECT r.kind, r.namespace, r.name, r.role, r.ref FROM ${join(STAGED_REFS)} CROSS JOIN apply_staging s ON s.apply_id = r.apply_id AND s.kind = r.kind AND s.namespace = r.namespace AND s.name = r.name
      WHERE r.apply_id = ${id} AND (${where}) AND s.deleted = 0 AND ${visible('s')}`;
  };
  /** The objects with a reference `refs` selects, stored or staged, as objects rows (`prelude`: CTEs to go first). */
  const objects = (where: string, via?: string, prelude = '') =>
    `WITH ${prelude ? `${prelude}, ` : ''}k AS (SELECT DISTINCT v.kind, v.namespace, v.name FROM (${refs(where, via)}) v)
     SELECT o.* FROM k CROSS JOIN objects o ON o.kind = k.kind AND o.namespace = k.namespace AND o.name = k.name WHERE NOT ${shadowed('o')}
     UNION ALL
     SELECT ${OBJECT_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM k CROSS JOIN apply_staging s ON s.apply_id = ${id} AND s.kind = k.kind AND s.namespace = k.namespace AND s.name = k.name
      WHERE s.deleted = 0 AND ${visible('s')}`;
  /** Staged objects (visible, not deleted) reached through `from`, which names apply_staging_refs as r. */
  const staged = (from: string) =>
    `SELECT DISTINCT ${OBJECT_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM ${from} CROSS JOIN apply_staging s ON s.apply_id = r.apply_id AND s.kind = r.kind AND s.namespace = r.namespace AND s.name = r.name
      WHERE s.deleted = 0 AND ${visible('s')}`;
  return { refs, objects, shadowed, staged, id };
}

/**
 * The stored config as the incremental compiler asks for it, through `object_refs` (one indexed query
 * per question, the references passed as one JSON parameter: D1 binds at most 100 per statement),
 * optionally with a staged apply laid over it.
 */
export class D1ConfigSource implements ConfigSource {
  /** Statements run, and object rows they returned: what a write costs in D1. */
  queries = 0;
  rowsRead = 0;
  private readonly overlay;

  constructor(
    private readonly db: D1Database,
    overlay?: StagingOverlay,
  ) {
    this.overlay = overlay && overlaySql(overlay);
  }

  private async objects(sql: string, ...binds: unknown[]): Promise<IntentObject[]> {
    this.queries++;
    const { results } = await this.db.prepare(sql).bind(...binds).all<RawObjectRow>();
    this.rowsRead += results.length;
    return results.map((r) => rowToIntent(objectRowOf(r)));
  }

  async objectsReferring(refs: ObjectRef[]): Promise<IntentObject[]> {
    if (!refs.length) return [];
    const found = new Map<string, IntentObject>();
    // The references' own index lookups, as SQLite plans them well: stored objects (less those a staged apply shadows), then staged ones.
    const byRef = (table: string, extra = '') => `json_each(?1) j CROSS JOIN ${table} ON ${extra}r.role = json_extract(j.value, '$[0]') AND r.ref = json_extract(j.value, '$[1]')`;
    for (const json of jsonBatches(refs.map((r) => [r.role, r.ref]))) {
      const queries = [`SELECT DISTINCT o.* FROM ${byRef('object_refs r')} CROSS JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name${this.overlay ? ` WHERE NOT ${this.overlay.shadowed('o')}` : ''}`];
      if (this.overlay) queries.push(this.overlay.staged(byRef(STAGED_REFS, `r.apply_id = ${this.overlay.id} AND `)));
      for (const sql of queries) for (const o of await this.objects(sql, json)) found.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o);
    }
    return [...found.values()];
  }

  async hostsMatching(pattern: string): Promise<string[]> {
    this.queries++;
    // `*.suffix` matches hosts ending in `.suffix` (wildcard hosts among them); `*` is never asked here.
    const suffix = pattern.slice(1).replace(/[\\%_]/g, (c) => `\\${c}`);
    const where = `r.role = 'host' AND r.ref LIKE ?1 ESCAPE '\\'`;
    const sql = this.overlay ? `SELECT DISTINCT ref FROM (${this.overlay.refs(where)})` : `SELECT DISTINCT ref FROM object_refs r WHERE ${where}`;
    const { results } = await this.db.prepare(sql).bind(`%${suffix}`).all<{ ref: string }>();
    return results.map((r) => r.ref);
  }

  wildcardVirtualServices(): Promise<IntentObject[]> {
    // A range on the (role, ref) index ('+' follows '*'): LIKE '*%' would scan every VirtualService host.
    const where = `r.role = 'vshost' AND r.ref >= '*' AND r.ref < '+'`;
    return this.objects(this.overlay ? this.overlay.objects(where) : `SELECT DISTINCT o.* FROM object_refs r JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name WHERE ${where}`);
  }

  fullCompileObjects(): Promise<IntentObject[]> {
    const where = `r.role = 'feature'`;
    return this.objects(this.overlay ? this.overlay.objects(where) : `SELECT DISTINCT o.* FROM object_refs r JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name WHERE ${where}`);
  }

  async portUsage(ports: number[], cap: number): Promise<Map<number, { http: number; other: number }>> {
    const usage = new Map(ports.map((p) => [p, { http: 0, other: 0 }]));
    if (!ports.length) return usage;
    this.queries++;
    // Each count stops at `cap` rows of the (role, ref) index: a port every service uses costs `cap` rows, not the mesh.
    const capped = (role: string) =>
      this.overlay
        ? `(SELECT count(*) FROM (SELECT 1 FROM (${this.overlay.refs(`r.role = '${role}' AND r.ref = j.value`)}) LIMIT ?2))`
        : `(SELECT count(*) FROM (SELECT 1 FROM object_refs r WHERE r.role = '${role}' AND r.ref = j.value LIMIT ?2))`;
    const { results } = await this.db
      .prepare(`SELECT j.value AS ref, ${capped('httpport')} AS http, ${capped('port')} AS other FROM json_each(?1) j`)
      .bind(JSON.stringify(ports.map(String)), cap)
      .all<{ ref: string; http: number; other: number }>();
    for (const r of results) usage.set(Number(r.ref), { http: r.http, other: r.other });
    return usage;
  }
}

import type { ConfigSource, IntentObject, ObjectRef } from '../../../xds';
import type { ObjectRow } from '../db/schema';
import { rowToIntent } from '../db/store';
import { jsonBatches } from './json-batches';

/** An `objects` row as D1 returns it (snake_case, JSON as text). */
interface RawObjectRow {
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
 * The stored config as the incremental compiler asks for it, through `object_refs` (one indexed query
 * per question, the references passed as one JSON parameter: D1 binds at most 100 per statement).
 */
export class D1ConfigSource implements ConfigSource {
  /** Statements run, and object rows they returned: what a write costs in D1. */
  queries = 0;
  rowsRead = 0;

  constructor(private readonly db: D1Database) {}

  private async objects(sql: string, ...binds: unknown[]): Promise<IntentObject[]> {
    this.queries++;
    const { results } = await this.db.prepare(sql).bind(...binds).all<RawObjectRow>();
    this.rowsRead += results.length;
    return results.map((r) => rowToIntent(objectRowOf(r)));
  }

  async objectsReferring(refs: ObjectRef[]): Promise<IntentObject[]> {
    if (!refs.length) return [];
    const found = new Map<string, IntentObject>();
    for (const json of jsonBatches(refs.map((r) => [r.role, r.ref]))) {
      const objects = await this.objects(
        `SELECT DISTINCT o.* FROM json_each(?1) j
          JOIN object_refs r ON r.role = json_extract(j.value, '$[0]') AND r.ref = json_extract(j.value, '$[1]')
          JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name`,
        json,
      );
      for (const o of objects) found.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o);
    }
    return [...found.values()];
  }

  async hostsMatching(pattern: string): Promise<string[]> {
    this.queries++;
    // `*.suffix` matches hosts ending in `.suffix` (wildcard hosts among them); `*` is never asked here.
    const suffix = pattern.slice(1).replace(/[\\%_]/g, (c) => `\\${c}`);
    const { results } = await this.db.prepare(`SELECT DISTINCT ref FROM object_refs WHERE role = 'host' AND ref LIKE ?1 ESCAPE '\\'`).bind(`%${suffix}`).all<{ ref: string }>();
    return results.map((r) => r.ref);
  }

  wildcardVirtualServices(): Promise<IntentObject[]> {
    // A range on the (role, ref) index ('+' follows '*'): LIKE '*%' would scan every VirtualService host.
    return this.objects(`SELECT DISTINCT o.* FROM object_refs r JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name WHERE r.role = 'vshost' AND r.ref >= '*' AND r.ref < '+'`);
  }

  fullCompileObjects(): Promise<IntentObject[]> {
    return this.objects(`SELECT DISTINCT o.* FROM object_refs r JOIN objects o ON o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name WHERE r.role = 'feature'`);
  }

  async portUsage(ports: number[], cap: number): Promise<Map<number, { http: number; other: number }>> {
    const usage = new Map(ports.map((p) => [p, { http: 0, other: 0 }]));
    if (!ports.length) return usage;
    this.queries++;
    // Each count stops at `cap` rows of the (role, ref) index: a port every service uses costs `cap` rows, not the mesh.
    const capped = (role: string) => `(SELECT count(*) FROM (SELECT 1 FROM object_refs r WHERE r.role = '${role}' AND r.ref = j.value LIMIT ?2))`;
    const { results } = await this.db
      .prepare(`SELECT j.value AS ref, ${capped('httpport')} AS http, ${capped('port')} AS other FROM json_each(?1) j`)
      .bind(JSON.stringify(ports.map(String)), cap)
      .all<{ ref: string; http: number; other: number }>();
    for (const r of results) usage.set(Number(r.ref), { http: r.http, other: r.other });
    return usage;
  }

}

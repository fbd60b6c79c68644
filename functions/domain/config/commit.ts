import { and, desc, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { canonicalJson, checkConsistency, defaultViews, hashContent, preflightSnapshot, renderView, sourceLocator, translateIntents, viewKey, type FieldError, type IntentObject, type PreflightError } from '../../../xds';
import { checkPatchValues } from '../../../xds';
import { objectHistory, objects, revisions, type ObjectRow, type RevisionChange } from '../db/schema';
import { openDatabase, rowToIntent, type Database } from '../db/store';
import { DomainError } from '../errors';
import { credentialProblems } from './credentials';
import { envoyProtos } from './envoy-protos';
import { primeSnapshotCache } from './config-cache';
import { ifMatchHolds, keyOf, type ObjectKey } from './object-key';

/** One requested change: put an object (create or update) or delete one. */
export type Change =
  | { op: 'put'; object: IntentObject; ifMatch?: string; createOnly?: boolean }
  | { op: 'delete'; key: ObjectKey; ifMatch?: string };

export interface CommitOptions {
  dryRun?: boolean;
  author: string;
  source: Record<string, string>;
}

export interface ChangeResult extends ObjectKey {
  op: 'created' | 'updated' | 'unchanged' | 'deleted';
}

export interface CommitOutcome {
  /** The new revision, or the current head when nothing changed (or on a dry run). */
  revision: number;
  committed: boolean;
  changes: ChangeResult[];
  warnings: FieldError[];
  /** Rows after the change, by `Kind/ns/name` (deleted objects absent). */
  rows: Map<string, ObjectRow>;
  /** Dry run only: every default view's Envoy resources. */
  rendered?: Record<string, Record<string, unknown[]>>;
  /** Dry run only: the rules of Envoy's protos the rendered resources break (a real write is refused with 422). */
  violations?: PreflightError[];
}

/** At most this many pre-flight errors in one answer; one bad rule can repeat across many resources. */
const MAX_PREFLIGHT_ERRORS = 100;

/** The same resource is rendered into several views; report each broken field once. */
function uniqueErrors(errors: PreflightError[]): PreflightError[] {
  const byKey = new Map<string, PreflightError>();
  for (const e of errors) if (!byKey.has(`${e.path} ${e.rule}`)) byKey.set(`${e.path} ${e.rule}`, e);
  return [...byKey.values()];
}

async function readState(db: Database) {
  const [head, rows] = await db.batch([db.select({ id: revisions.id }).from(revisions).orderBy(desc(revisions.id)).limit(1), db.select().from(objects)]);
  return { head: head[0]?.id ?? 0, rows: new Map(rows.map((r) => [keyOf(r as ObjectKey), r])) };
}

const sameContent = (row: ObjectRow, o: IntentObject) =>
  row.apiVersion === o.apiVersion &&
  canonicalJson(row.spec) === canonicalJson(o.spec) &&
  canonicalJson(row.labels) === canonicalJson(o.metadata.labels ?? {}) &&
  canonicalJson(row.annotations) === canonicalJson(o.metadata.annotations ?? {});

/**
 * The one write path: apply changes in memory, translate the whole resulting config, refuse
 * ('inconsistent', nothing stored) on referential errors and ('invalid-envoy-config') on rendered
 * resources that break the validation rules of Envoy's protos, then commit everything as ONE
 * revision in one D1 batch (a transaction). The revision id is head+1, written explicitly, so two
 * concurrent writers collide on the primary key ('revision-taken') instead of both committing
 * against a stale read.
 */
export async function commitChanges(d1: D1Database, changes: Change[], opts: CommitOptions): Promise<CommitOutcome> {
  const db = openDatabase(d1);
  const { head, rows } = await readState(db);
  const revision = head + 1;
  const now = new Date().toISOString();
  const next = new Map(rows);
  const results: ChangeResult[] = [];
  const touched: { key: string; row: ObjectRow | null }[] = [];

  for (const change of changes) {
    const key = change.op === 'put' ? { kind: change.object.kind, namespace: change.object.metadata.namespace, name: change.object.metadata.name } : change.key;
    const id = keyOf(key);
    const current = next.get(id);
    if (!ifMatchHolds(change.ifMatch, current)) throw new DomainError('precondition-failed', `${id} is at resourceVersion ${current?.resourceVersion ?? '(absent)'}, not ${change.ifMatch}`);
    if (change.op === 'delete') {
      if (!current) throw new DomainError('not-found', `${id} does not exist`);
      next.delete(id);
      touched.push({ key: id, row: null });
      results.push({ ...key, op: 'deleted' });
      continue;
    }
    if (change.createOnly && current) throw new DomainError('already-exists', `${id} already exists (If-None-Match: *)`);
    const o = change.object;
    if (current && sameContent(current, o)) {
      results.push({ ...key, op: 'unchanged' });
      continue;
    }
    const specChanged = !current || canonicalJson(current.spec) !== canonicalJson(o.spec);
    const row: ObjectRow = {
      ...key,
      apiVersion: o.apiVersion,
      labels: o.metadata.labels ?? {},
      annotations: o.metadata.annotations ?? {},
      spec: o.spec,
      uid: current?.uid ?? crypto.randomUUID(),
      resourceVersion: revision,
      generation: (current?.generation ?? 0) + (specChanged ? 1 : 0),
      createdAt: current?.createdAt ?? now,
    };
    next.set(id, row);
    touched.push({ key: id, row });
    results.push({ ...key, op: current ? 'updated' : 'created' });
  }

  const intents = [...next.values()].map(rowToIntent);
  const { ir, errors, warnings } = translateIntents(intents);
  const asField = (d: { source: string; path: string; message: string }) => ({ path: d.path, message: d.message, object: d.source });
  if (errors.length) throw new DomainError('inconsistent', 'the resulting configuration is inconsistent; nothing was stored', errors.map(asField));

  const rendered: Record<string, Record<string, unknown[]>> = {};
  const preflight: PreflightError[] = [];
  const validate = envoyProtos().validate;
  // EnvoyFilter values must be their target's proto3 JSON even while they match nothing.
  preflight.push(...checkPatchValues(ir, envoyProtos().decodeStrict));
  const views = defaultViews(ir).map((view) => ({ view, snapshot: renderView(ir, view, { mode: 'ads' }) }));
  // Credentials are checked against the rendered SDS names (which part, which view), so after rendering.
  const credentialErrors = credentialProblems(intents, views);
  if (credentialErrors.length) throw new DomainError('inconsistent', 'the resulting configuration is inconsistent; nothing was stored', credentialErrors.map(asField));
  for (const { view, snapshot } of views) {
    const problems = checkConsistency(snapshot);
    // A translator bug, not a user error; refuse rather than publish config Envoy would reject.
    if (problems.length) throw new DomainError('inconsistent', ir.envoyFilters ? 'the rendered snapshot, after the EnvoyFilter patches, is inconsistent; nothing was stored' : 'rendering produced an inconsistent snapshot; nothing was stored', problems.map((message) => ({ path: '', message })));
    // Envoy enforces its protos' validation rules by NACKing the whole response: find that out here.
    preflight.push(...preflightSnapshot(snapshot, validate, sourceLocator(ir, view)));
    if (opts.dryRun) rendered[viewKey(view)] = Object.fromEntries(Object.entries(snapshot.types).map(([t, s]) => [t, [...s.resources.values()].map((r) => r.json)]));
  }
  const violations = uniqueErrors(preflight);
  const outcome = { changes: results, warnings: warnings.map(asField), rows: next };
  if (opts.dryRun) return { ...outcome, revision: head, committed: false, rendered, violations: violations.slice(0, MAX_PREFLIGHT_ERRORS) };
  if (violations.length) {
    const shown = violations.length > MAX_PREFLIGHT_ERRORS ? ` (the first ${MAX_PREFLIGHT_ERRORS} are listed)` : '';
    throw new DomainError('invalid-envoy-config', `the resulting Envoy configuration breaks ${violations.length} validation rule${violations.length === 1 ? '' : 's'} of Envoy's protos${shown}, so Envoy would reject it; nothing was stored`, violations.slice(0, MAX_PREFLIGHT_ERRORS));
  }
  if (!touched.length) return { ...outcome, revision: head, committed: false };

  const configHash = hashContent(canonicalJson([...next.values()].map((r) => [r.kind, r.namespace, r.name, r.apiVersion, r.labels, r.annotations, r.spec]).sort()));
  const changeLog: RevisionChange[] = results.filter((r) => r.op !== 'unchanged').map(({ op, kind, namespace, name }) => ({ op: op as RevisionChange['op'], kind, namespace, name }));
  const statements: BatchItem<'sqlite'>[] = [
    db.insert(revisions).values({ id: revision, author: opts.author, source: opts.source, changes: changeLog, configHash }),
    ...touched.flatMap(({ key, row }): BatchItem<'sqlite'>[] => {
      const [kind, namespace, name] = key.split('/') as [string, string, string];
      const where = and(eq(objects.kind, kind), eq(objects.namespace, namespace), eq(objects.name, name));
      const history = db.insert(objectHistory).values({ revision, kind, namespace, name, object: row ? { ...row } : null });
      return row
        ? [db.insert(objects).values(row).onConflictDoUpdate({ target: [objects.kind, objects.namespace, objects.name], set: row }), history]
        : [db.delete(objects).where(where), history];
    }),
  ];
  try {
    await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (err) {
    if (/UNIQUE|PRIMARY KEY|constraint/i.test(String((err as Error)?.message))) throw new DomainError('revision-taken', `another write committed revision ${revision} first; retry`);
    throw err;
  }
  primeSnapshotCache({ revision, configHash, objects: intents }, ir);
  console.log(JSON.stringify({ level: 'info', msg: 'revision committed', revision, author: opts.author, changes: changeLog.length, source: opts.source }));
  return { ...outcome, revision, committed: true };
}

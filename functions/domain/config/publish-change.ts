import {
  checkConsistency,
  checkPatchValues,
  compileIncremental,
  defaultViews,
  diffPublished,
  getRoot,
  preflightSnapshot,
  publishFull,
  renderView,
  sourceLocator,
  translateIntents,
  viewKey,
  RESOURCE_TYPES,
  type BlobStore,
  type Diagnostic,
  type FieldError,
  type IntentObject,
  type MeshIR,
  type ObjectChange,
  type PreflightError,
  type PublishedRoot,
  type RenderedView,
  type ResourceType,
  type View,
} from '../../../xds';
import type { ObjectRow } from '../db/schema';
import { rowToIntent } from '../db/store';
import { DomainError } from '../errors';
import type { TouchedObject } from './commit-statements';
import { credentialProblems } from './credentials';
import { D1ConfigSource, readAllRows } from './d1-config-source';
import { envoyProtos } from './envoy-protos';

/** A rendered resource the change adds, changes or removes (what a dry run and a revision diff list). */
export interface RenderedChange {
  view: string;
  /** clusters, endpoints, listeners or routes (as the dry run's `rendered` keys them). */
  type: string;
  name: string;
  op: 'added' | 'changed' | 'removed';
}

export interface PublishOutcome {
  root: PublishedRoot;
  rootKey: string;
  warnings: FieldError[];
  violations: PreflightError[];
  /** Resources added or changed, per view and type (ADS form): the dry run's `rendered`. */
  rendered: Record<string, Record<string, unknown[]>>;
  changes: RenderedChange[];
  mode: 'incremental' | 'full';
  /** Why a full compile was needed. */
  reason?: string;
  objectsTranslated: number;
  d1Queries: number;
  d1RowsRead: number;
}

const asField = (d: Diagnostic) => ({ path: d.path, message: d.message, object: d.source });
const refuse = (errors: Diagnostic[]) => new DomainError('inconsistent', 'the resulting configuration is inconsistent; nothing was stored', errors.map(asField));

/** The same resource is rendered into several views; report each broken field once. */
function uniqueErrors(errors: PreflightError[]): PreflightError[] {
  const byKey = new Map<string, PreflightError>();
  for (const e of errors) if (!byKey.has(`${e.path} ${e.rule}`)) byKey.set(`${e.path} ${e.rule}`, e);
  return [...byKey.values()];
}

/**
 * Credentials, consistency and pre-flight over rendered views (the closure's, or every default view),
 * one view at a time: `views` may render lazily, so a whole mesh's views are never all in memory.
 */
function check(intents: IntentObject[], views: Iterable<{ view: View; rendered: RenderedView }>, ir: MeshIR, preflightOnly?: (view: string, type: ResourceType, name: string) => boolean): PreflightError[] {
  const credentials = new Map<string, Diagnostic>();
  const preflight: PreflightError[] = [];
  const validate = envoyProtos().validate;
  // EnvoyFilter values must be their target's proto3 JSON even while they match nothing.
  preflight.push(...checkPatchValues(ir, envoyProtos().decodeStrict));
  let seen = 0;
  for (const { view, rendered } of views) {
    seen++;
    for (const p of credentialProblems(intents, [{ view, snapshot: rendered }])) credentials.set(JSON.stringify(p), p);
    if (credentials.size) throw refuse([...credentials.values()]);
    const problems = checkConsistency(rendered);
    // A translator bug, not a user error; refuse rather than publish config Envoy would reject.
    if (problems.length) throw new DomainError('inconsistent', ir.envoyFilters ? 'the rendered snapshot, after the EnvoyFilter patches, is inconsistent; nothing was stored' : 'rendering produced an inconsistent snapshot; nothing was stored', problems.map((message) => ({ path: '', message })));
    const key = viewKey(view);
    const only = preflightOnly ? filterView(rendered, (type, name) => preflightOnly(key, type, name)) : rendered;
    // Envoy enforces its protos' validation rules by NACKing the whole response: find that out here.
    preflight.push(...preflightSnapshot(only, validate, sourceLocator(ir, view)));
  }
  if (!seen) for (const p of credentialProblems(intents, [])) credentials.set(JSON.stringify(p), p);
  if (credentials.size) throw refuse([...credentials.values()]);
  return uniqueErrors(preflight);
}

function filterView(rendered: RenderedView, keep: (type: ResourceType, name: string) => boolean): RenderedView {
  const types = {} as RenderedView['types'];
  for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
    const t = rendered.types[type];
    types[type] = { ...t, resources: new Map([...t.resources].filter(([name]) => keep(type, name))) };
  }
  return { ...rendered, types };
}

/**
 * Publishes the configuration a change produces, refusing (nothing stored in D1) what is inconsistent.
 * Incremental from the previous root when it can be (the change's closure only), else a full compile
 * of every object. Blobs go to `store` (an overlay for dry runs); the caller commits the revision row.
 */
export async function publishChange(db: D1Database, store: BlobStore, prevRootKey: string | null, touched: (TouchedObject & { before: ObjectRow | undefined })[], revision: number, dryRun = false): Promise<PublishOutcome> {
  const source = new D1ConfigSource(db);
  const prevRoot = prevRootKey ? await getRoot(store, prevRootKey) : undefined;
  let reason = prevRoot ? undefined : 'no published configuration to start from';
  if (prevRoot) {
    const result = await publishIncremental(store, prevRoot, prevRootKey!, touched, revision, source);
    if (result.kind === 'refused') throw refuse(result.errors);
    if (result.kind === 'published') return result.outcome;
    reason = result.reason;
  }
  return publishWhole(db, store, prevRoot, touched, revision, reason!, dryRun);
}

export type IncrementalPublish = { kind: 'refused'; errors: Diagnostic[] } | { kind: 'full'; reason: string } | { kind: 'published'; outcome: PublishOutcome };

/** The change's closure published over `prevRoot` and checked (credentials, consistency, pre-flight of what changed), or why it cannot be. */
export async function publishIncremental(store: BlobStore, prevRoot: PublishedRoot, prevRootKey: string, touched: (TouchedObject & { before: ObjectRow | undefined })[], revision: number, source: D1ConfigSource): Promise<IncrementalPublish> {
  const changes: ObjectChange[] = touched.map((t) => ({ ...(t.before ? { before: rowToIntent(t.before) } : {}), ...(t.row ? { after: rowToIntent(t.row) } : {}) }));
  const result = await compileIncremental(store, prevRoot, prevRootKey, changes, source, revision);
  if (result.kind !== 'published') return result;
  const changedAds = new Set(result.changed.filter((c) => c.variant === 'ads').map((c) => `${c.view}\n${c.type}\n${c.name}`));
  const violations = check(result.closure.objects, result.renders, result.ir, (view, type, name) => changedAds.has(`${view}\n${type}\n${name}`));
  const rendered: Record<string, Record<string, unknown[]>> = {};
  for (const c of result.changed) if (c.variant === 'ads') ((rendered[c.view] ??= {})[c.type] ??= []).push(c.json);
  const changed: RenderedChange[] = [
    ...result.changed.filter((c) => c.variant === 'ads').map((c) => ({ view: c.view, type: c.type, name: c.name, op: c.op })),
    ...result.removed.filter((c) => c.variant === 'ads').map((c) => ({ view: c.view, type: c.type, name: c.name, op: 'removed' as const })),
  ];
  return { kind: 'published', outcome: { root: result.root, rootKey: result.key, warnings: result.warnings.map(asField), violations, rendered, changes: changed, mode: 'incremental', objectsTranslated: result.closure.after, d1Queries: source.queries, d1RowsRead: source.rowsRead } };
}

/** A refusal as the write path answers it (422 'inconsistent', the objects' fields named). */
export const refuseInconsistent = (errors: Diagnostic[]) => refuse(errors);

/** Every object translated and every default view published: the first revision, and configs the incremental path leaves out. */
async function publishWhole(db: D1Database, store: BlobStore, prevRoot: PublishedRoot | undefined, touched: TouchedObject[], revision: number, reason: string, dryRun: boolean): Promise<PublishOutcome> {
  const rows = await readAllRows(db);
  for (const t of touched) (t.row ? rows.set(t.key, t.row) : rows.delete(t.key));
  const intents = [...rows.values()].map(rowToIntent);
  rows.clear();
  const { ir, errors, warnings } = translateIntents(intents);
  if (errors.length) throw refuse(errors);
  const { root, key } = await publishFull(store, ir, revision);
  // What changed, to pre-flight only that and to answer a dry run; with nothing published before it is everything, and a real write needs no list.
  const published = prevRoot || dryRun ? await diffPublished(store, prevRoot, root) : undefined;
  const changed = prevRoot && published ? new Set(published.map((c) => `${c.view}\n${c.type}\n${c.name}`)) : undefined;
  const views = (function* () {
    for (const view of defaultViews(ir)) yield { view, rendered: renderView(ir, view, { mode: 'ads' }) };
  })();
  const violations = check(intents, views, ir, changed ? (view, type, name) => changed.has(`${view}\n${type}\n${name}`) : undefined);
  const rendered: Record<string, Record<string, unknown[]>> = {};
  if (dryRun) for (const c of published ?? []) if (c.after) ((rendered[c.view] ??= {})[c.type] ??= []).push(JSON.parse(c.after));
  const changes = (published ?? []).filter((c) => c.variant === 'ads').map((c) => ({ view: c.view, type: c.type, name: c.name, op: c.op }));
  return { root, rootKey: key, warnings: warnings.map(asField), violations, rendered, changes, mode: 'full', reason, objectsTranslated: intents.length, d1Queries: 1, d1RowsRead: intents.length };
}

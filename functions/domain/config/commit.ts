import type { FieldError, PreflightError } from '../../../xds';
import type { Env } from '../../env';
import type { ObjectRow, RevisionChange } from '../db/schema';
import { DomainError } from '../errors';
import { applyChanges, keyOfChange, type Change, type ChangeResult } from './apply-changes';
import { commitStatements } from './commit-statements';
import { configHashOf, nextConfigHash } from './config-hash';
import { primeConfigCache } from './config-cache';
import { readAllRows, readObjectRows } from './d1-config-source';
import { keyOf } from './object-key';
import { checkBatchSize, checkRowSizes } from './d1-limits';
import { publishChange, type RenderedChange } from './publish-change';
import { rolloutRouteOwner, type RolloutOverride } from './route-owner';
import { OverlayBlobStore, R2BlobStore } from './r2-blob-store';

export type { Change, ChangeResult } from './apply-changes';
export type { RenderedChange } from './publish-change';

export interface CommitOptions {
  dryRun?: boolean;
  author: string;
  source: Record<string, string>;
  /** A write that moves a route an active rollout drives: refused (409) unless `abort` or `force` (route-owner.ts). */
  rolloutOverride?: RolloutOverride | undefined;
}

/** What one write cost: counted by tests and the bench (a write must cost what it changes). */
export interface CommitCost {
  /** batched: a whole-mesh apply staged and compiled in batches (staged-apply.ts). */
  mode: 'incremental' | 'full' | 'none' | 'batched';
  reason?: string;
  /** Batches compiled (batched mode). */
  batches?: number;
  objectsTranslated: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  blobsRead: number;
  blobsWritten: number;
}

export interface CommitOutcome {
  /** The new revision, or the current head when nothing changed (or on a dry run). */
  revision: number;
  committed: boolean;
  changes: ChangeResult[];
  warnings: FieldError[];
  /** The named objects after the change, by `Kind/ns/name` (deleted ones absent). */
  rows: Map<string, ObjectRow>;
  /** Dry run only: the Envoy resources the change adds or changes, per view and type. */
  rendered?: Record<string, Record<string, unknown[]>>;
  /** Dry run only: every rendered resource the change adds, changes or removes (a batched apply lists the first MAX_LISTED_RENDERED_CHANGES). */
  renderedChanges?: RenderedChange[];
  /** Dry run of a batched apply: how many rendered changes there are, when renderedChanges lists fewer. */
  renderedChangesTotal?: number;
  /** Dry run only: the rules of Envoy's protos the changed resources break (a real write is refused with 422), and a rollout's route it would move (409). */
  violations?: (PreflightError | FieldError)[];
  cost: CommitCost;
}

/** At most this many pre-flight errors in one answer; one bad rule can repeat across many resources. */
export const MAX_PREFLIGHT_ERRORS = 100;

export interface Head {
  id: number;
  root: string | null;
  configHash: string;
}

export async function readHead(db: D1Database): Promise<Head> {
  const row = await db.prepare('SELECT id, root, config_hash FROM revisions ORDER BY id DESC LIMIT 1').first<{ id: number; root: string | null; config_hash: string }>();
  return row ? { id: row.id, root: row.root, configHash: row.config_hash } : { id: 0, root: null, configHash: '' };
}

/**
 * The one write path. Reads the head revision and the objects the change names, applies the change,
 * publishes the resulting configuration (incrementally: what the change reaches; see publish-change.ts)
 * refusing what is inconsistent ('inconsistent') or what Envoy would reject ('invalid-envoy-config'),
 * then commits the revision, its objects, their history and references in ONE D1 batch. The revision id
 * is head+1, written first, so two concurrent writers collide on the primary key ('revision-taken')
 * instead of both committing against a stale read; published blobs are content-addressed, so a lost
 * race leaves only unreferenced blobs behind.
 */
export async function commitChanges(env: Pick<Env, 'DB' | 'CONFIG'> & Partial<Pick<Env, 'EVENTS'>>, changes: Change[], opts: CommitOptions): Promise<CommitOutcome> {
  const head = await readHead(env.DB);
  const revision = head.id + 1;
  const current = await readObjectRows(env.DB, [...new Set(changes.map((c) => keyOf(keyOfChange(c))))]);
  const { rows, results, touched } = applyChanges(current, changes, revision, new Date().toISOString());
  checkRowSizes(touched);
  const r2 = new R2BlobStore(env.CONFIG);
  const none: CommitCost = { mode: 'none', objectsTranslated: 0, d1Queries: 2, d1RowsRead: current.size, d1RowsWritten: 0, blobsRead: 0, blobsWritten: 0 };
  if (!touched.length && !opts.dryRun) return { revision: head.id, committed: false, changes: results, warnings: [], rows, cost: none };

  // Before rendering: a write that moves an active rollout's route is refused unless it says how (route-owner.ts).
  const owner = await rolloutRouteOwner(env, touched, { ...opts, revision });
  const store = opts.dryRun ? new OverlayBlobStore(r2) : r2;
  const published = await publishChange(env.DB, store, head.root, touched, revision, opts.dryRun);
  const cost = (written: number): CommitCost => ({
    mode: published.mode,
    ...(published.reason ? { reason: published.reason } : {}),
    objectsTranslated: published.objectsTranslated,
    d1Queries: 2 + published.d1Queries,
    d1RowsRead: current.size + published.d1RowsRead,
    d1RowsWritten: written,
    blobsRead: r2.gets,
    blobsWritten: store instanceof OverlayBlobStore ? 0 : r2.puts,
  });
  const outcome = { changes: results, warnings: [...published.warnings, ...owner.warnings], rows };
  const violations = published.violations;
  if (opts.dryRun) {
    return { ...outcome, revision: head.id, committed: false, rendered: published.rendered, renderedChanges: published.changes, violations: [...owner.errors, ...violations.slice(0, MAX_PREFLIGHT_ERRORS)], cost: cost(0) };
  }
  if (violations.length) {
    const shown = violations.length > MAX_PREFLIGHT_ERRORS ? ` (the first ${MAX_PREFLIGHT_ERRORS} are listed)` : '';
    throw new DomainError('invalid-envoy-config', `the resulting Envoy configuration breaks ${violations.length} validation rule${violations.length === 1 ? '' : 's'} of Envoy's protos${shown}, so Envoy would reject it; nothing was stored`, violations.slice(0, MAX_PREFLIGHT_ERRORS));
  }
  if (!touched.length) return { ...outcome, revision: head.id, committed: false, cost: cost(0) };

  // Without a root the hash may be of another kind (a database from before published config): computed whole, as the full compile read every object.
  const configHash = head.root ? nextConfigHash(head.configHash, touched.map((t) => ({ ...(t.before ? { before: t.before } : {}), after: t.row }))) : configHashOf(await allRowsAfter(env.DB, touched));
  const changeLog: RevisionChange[] = results.filter((r) => r.op !== 'unchanged').map(({ op, kind, namespace, name }) => ({ op: op as RevisionChange['op'], kind, namespace, name }));
  const rebuildRefs = head.root ? undefined : await allRowsAfter(env.DB, touched);
  const statements = [...commitStatements(env.DB, { id: revision, author: opts.author, source: opts.source, changes: changeLog, configHash, root: published.rootKey }, touched, rebuildRefs ? { rebuildRefs } : {}), ...owner.statements];
  checkBatchSize(statements.length);
  try {
    await env.DB.batch(statements);
  } catch (err) {
    if (/UNIQUE|PRIMARY KEY|constraint/i.test(String((err as Error)?.message))) throw new DomainError('revision-taken', `another write committed revision ${revision} first; retry`);
    throw err;
  }
  primeConfigCache(revision, published.rootKey, published.root);
  await owner.committed();
  const spent = cost(touched.length * 2 + 1);
  console.log(JSON.stringify({ level: 'info', msg: 'revision committed', revision, author: opts.author, changes: changeLog.length, source: opts.source, cost: spent }));
  return { ...outcome, revision, committed: true, cost: spent };
}

async function allRowsAfter(db: D1Database, touched: { key: string; row: ObjectRow | null }[]): Promise<ObjectRow[]> {
  const rows = await readAllRows(db);
  for (const t of touched) (t.row ? rows.set(t.key, t.row) : rows.delete(t.key));
  return [...rows.values()];
}

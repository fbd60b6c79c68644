import { getRoot, publishFull, refsOf, translateIntents, type BlobStore, type FieldError, type IntentObject, type PreflightError, type PublishedRoot } from '../../../xds';
import type { Env } from '../../env';
import type { ObjectRow } from '../db/schema';
import { rowToIntent } from '../db/store';
import { DomainError } from '../errors';
import { applyChanges, keyOfChange, type Change, type ChangeResult } from './apply-changes';
import { commitChanges, readHead, MAX_PREFLIGHT_ERRORS, type CommitCost, type CommitOptions, type CommitOutcome } from './commit';
import { ListedChanges, stagedCommitStatements, stagingStatements, unstageStatements } from './commit-statements';
import { nextConfigHash } from './config-hash';
import { primeConfigCache } from './config-cache';
import { D1ConfigSource, objectRowOf, readObjectRows, type RawObjectRow } from './d1-config-source';
import { checkBatchSize, checkRowSizes } from './d1-limits';
import { keyOf, type ObjectKey } from './object-key';
import { publishIncremental, refuseInconsistent, type RenderedChange } from './publish-change';
import { R2BlobStore } from './r2-blob-store';
import { rolloutRouteOwner } from './route-owner';

/**
 * A whole mesh's apply in the memory of a Worker isolate. The request never holds the manifest's objects
 * at once: they are validated as they are read and staged in D1 (apply_staging) a batch at a time, then
 * compiled a batch at a time, each batch an incremental compile (xds/publish/compile-incremental.ts) over
 * the stored config with the batches before it laid over it (D1ConfigSource's overlay); every batch's
 * closure is checked as a one-object write's is (consistency, credentials, pre-flight of what changed).
 * The published blobs of the intermediate roots are content-addressed and unreferenced until the last
 * root is committed, by one D1 batch that writes the revision row first (the same compare-and-set as
 * every write) and copies the staged rows into objects, object_history and object_refs inside D1.
 * Readers see the revision before or after, never a part of it.
 *
 * What an incremental compile cannot do, this cannot either: a config with features only a full compile
 * renders (EnvoyFilter, Sidecar, exportTo, …; needsFullCompile), a database without a published root,
 * or a batch whose intermediate state does not translate while the whole does — those fall back to the
 * one-shot commit (commit.ts) of the staged objects, with the whole mesh in memory as before.
 */

/** Staged rows older than this belong to an apply that died (a cut-off isolate): the next staged apply removes them. */
export const STAGING_TTL_MS = 60 * 60 * 1000;

/** A dry run lists at most this many rendered changes (a first apply of a whole mesh changes every resource). */
export const MAX_LISTED_RENDERED_CHANGES = 10_000;

/**
 * Kinds in the order their batches compile, so each intermediate state translates: what others refer to
 * first (Secrets, hosts, Gateways, subsets), routes last; deletes after every put, routes first.
 */
const PUT_PASS: Record<string, number> = { Secret: 0, ServiceEntry: 1, Gateway: 2, DestinationRule: 3, VirtualService: 4 };
const DELETE_PASS: Record<string, number> = { VirtualService: 10, DestinationRule: 11, Gateway: 12, ServiceEntry: 13, Secret: 14 };
const passOf = (kind: string, deleted: boolean) => (deleted ? (DELETE_PASS[kind] ?? 9) : (PUT_PASS[kind] ?? 5));

/** The object's first host: batches of neighbouring hosts touch neighbouring chunks of the published collections. */
function sortKeyOf(key: string, row: ObjectRow | null): string {
  if (!row) return key;
  const host = refsOf(rowToIntent(row)).find((r) => r.role === 'host' || r.role === 'policy' || r.role === 'vshost');
  return host ? `${host.ref}\u0000${key}` : key;
}

export class StagedApply {
  readonly applyId = crypto.randomUUID();
  private readonly pending: Change[] = [];
  private readonly results: ChangeResult[] = [];
  private readonly listed = new ListedChanges();
  private readonly warnings: FieldError[] = [];
  /** A route an active rollout drives that the apply moves (route-owner.ts): dry-run errors, the abort's statements, what to do once committed. */
  private readonly ownerErrors: FieldError[] = [];
  private readonly ownerStatements: D1PreparedStatement[] = [];
  private readonly ownerCommitted: (() => Promise<void>)[] = [];
  private configHash: string;
  private staged = 0;
  private readonly stagedAt = new Date().toISOString();
  private readonly cost: CommitCost = { mode: 'batched', objectsTranslated: 0, d1Queries: 1, d1RowsRead: 0, d1RowsWritten: 0, blobsRead: 0, blobsWritten: 0, batches: 0 };
  private readonly r2: R2BlobStore;

  private constructor(
    private readonly env: Pick<Env, 'DB' | 'CONFIG'> & Partial<Pick<Env, 'EVENTS'>>,
    private readonly head: { id: number; root: string | null; configHash: string },
    private readonly batchSize: number,
    private readonly opts: CommitOptions,
  ) {
    this.configHash = head.configHash;
    this.r2 = new R2BlobStore(env.CONFIG);
  }

  /** Begins an apply against the current head (the revision it commits is head + 1, as every write's). */
  static async begin(env: Pick<Env, 'DB' | 'CONFIG'> & Partial<Pick<Env, 'EVENTS'>>, batchSize: number, opts: CommitOptions): Promise<StagedApply> {
    await env.DB.prepare('DELETE FROM apply_staging WHERE staged_at < ?1').bind(new Date(Date.now() - STAGING_TTL_MS).toISOString()).run();
    await env.DB.prepare('DELETE FROM apply_staging_refs WHERE apply_id NOT IN (SELECT DISTINCT apply_id FROM apply_staging)').run();
    return new StagedApply(env, await readHead(env.DB), batchSize, opts);
  }

  private get revision() {
    return this.head.id + 1;
  }

  /** Adds a change; a full batch is compared with the stored objects and staged. */
  async add(change: Change): Promise<void> {
    this.pending.push(change);
    if (this.pending.length >= this.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    const changes = this.pending.splice(0);
    if (!changes.length) return;
    const db = this.env.DB;
    const current = await readObjectRows(db, changes.map((c) => keyOf(keyOfChange(c))));
    this.cost.d1Queries++;
    this.cost.d1RowsRead += current.size;
    const { results, touched } = applyChanges(current, changes, this.revision, this.stagedAt);
    checkRowSizes(touched);
    this.results.push(...results);
    for (const r of results) if (r.op !== 'unchanged') this.listed.add({ op: r.op, kind: r.kind, namespace: r.namespace, name: r.name });
    this.configHash = nextConfigHash(this.configHash, touched.map((t) => ({ ...(t.before ? { before: t.before } : {}), after: t.row })));
    const owner = await rolloutRouteOwner(this.env, touched, { ...this.opts, revision: this.revision });
    this.warnings.push(...owner.warnings);
    this.ownerErrors.push(...owner.errors);
    this.ownerStatements.push(...owner.statements);
    this.ownerCommitted.push(owner.committed);
    if (!touched.length) return;
    const statements = stagingStatements(db, this.applyId, this.stagedAt, touched.map((t) => ({ key: t.key, row: t.row, pass: passOf(t.key.split('/')[0]!, !t.row), sortKey: sortKeyOf(t.key, t.row) })));
    await db.batch(statements);
    this.cost.d1Queries += statements.length;
    this.staged += touched.length;
  }

  /** Removes what was staged (a refused manifest, a failed or finished apply). */
  async abort(): Promise<void> {
    await this.env.DB.batch(unstageStatements(this.env.DB, this.applyId));
  }

  /**
   * Prunes (`shouldPrune` picks stored objects the manifest does not hold), compiles the staged batches,
   * checks them and commits one revision (or, on a dry run, reports it).
   */
  async finish(shouldPrune?: (row: { kind: string; namespace: string; name: string; labels: Record<string, string> }) => boolean): Promise<CommitOutcome> {
    try {
      if (shouldPrune) {
        const { results } = await this.env.DB.prepare('SELECT kind, namespace, name, labels FROM objects').all<{ kind: string; namespace: string; name: string; labels: string }>();
        this.cost.d1Queries++;
        this.cost.d1RowsRead += results.length;
        for (const row of results) {
          const key = { kind: row.kind, namespace: row.namespace, name: row.name } as ObjectKey;
          if (shouldPrune({ ...key, labels: JSON.parse(row.labels) as Record<string, string> })) await this.add({ op: 'delete', key });
        }
      }
      await this.flush();
      const outcome = await this.compileAndCommit();
      return outcome;
    } finally {
      await this.abort().catch(() => {});
    }
  }

  private async compileAndCommit(): Promise<CommitOutcome> {
    const { env, opts } = this;
    const db = env.DB;
    const base = { changes: this.results, warnings: this.warnings, rows: new Map<string, ObjectRow>() };
    if (!this.staged && !opts.dryRun) return { ...base, revision: this.head.id, committed: false, cost: { ...this.cost, mode: 'none' } };

    // Dry runs write their blobs to R2 too: content-addressed and referenced by no revision, as a lost race's
    // (an in-memory overlay would hold the whole mesh's published views).
    const store: BlobStore = this.r2;
    let prevRoot: PublishedRoot | undefined = this.head.root ? await getRoot(store, this.head.root) : undefined;
    let prevKey = this.head.root;
    if (!prevRoot) {
      const stored = await db.prepare('SELECT 1 FROM objects LIMIT 1').first();
      if (stored) return this.fallBack('no published configuration to start from');
      const empty = await publishFull(store, translateIntents([]).ir, this.revision);
      prevRoot = empty.root;
      prevKey = empty.key;
    }
    if (prevRoot.mode !== 'incremental') return this.fallBack('the configuration uses features only a full compile renders');

    const violations = new Map<string, PreflightError>();
    const rendered: RenderedChange[] = [];
    let renderedTotal = 0;
    let root = prevRoot;
    let rootKey = prevKey!;
    const applied = new D1ConfigSource(db, { applyId: this.applyId, scope: 'applied' });
    for (;;) {
      const { results: batch } = await db
        .prepare('SELECT * FROM apply_staging WHERE apply_id = ?1 AND applied = 0 ORDER BY pass, sort_key LIMIT ?2')
        .bind(this.applyId, this.batchSize)
        .all<RawObjectRow & { deleted: number }>();
      this.cost.d1Queries++;
      if (!batch.length) break;
      const keys = batch.map((r) => `${r.kind}/${r.namespace}/${r.name}`);
      const before = await readObjectRows(db, keys);
      this.cost.d1Queries++;
      const touched = batch.map((r, i) => ({ key: keys[i]!, row: r.deleted ? null : objectRowOf(r), before: before.get(keys[i]!) }));
      const result = await publishIncremental(store, root, rootKey, touched, this.revision, applied);
      if (result.kind === 'full') return this.fallBack(result.reason);
      if (result.kind === 'refused') {
        // Refused halfway: the errors stand if the whole config has them too; else only the order made them.
        const whole = await publishIncremental(store, root, rootKey, touched, this.revision, new D1ConfigSource(db, { applyId: this.applyId, scope: 'all' }));
        if (whole.kind === 'refused') throw refuseInconsistent(whole.errors);
        return this.fallBack(`batch ${this.cost.batches! + 1} does not translate before the batches after it`);
      }
      const out = result.outcome;
      this.cost.batches!++;
      this.cost.objectsTranslated += out.objectsTranslated;
      this.warnings.push(...out.warnings);
      for (const v of out.violations) if (violations.size < MAX_PREFLIGHT_ERRORS) violations.set(`${v.path} ${v.rule}`, v);
      if (opts.dryRun) {
        renderedTotal += out.changes.length;
        for (const c of out.changes) if (rendered.length < MAX_LISTED_RENDERED_CHANGES) rendered.push(c);
      }
      root = out.root;
      rootKey = out.rootKey;
      await db.prepare(`UPDATE apply_staging SET applied = 1 WHERE apply_id = ?1 AND (kind, namespace, name) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?2))`).bind(this.applyId, JSON.stringify(batch.map((r) => [r.kind, r.namespace, r.name]))).run();
      this.cost.d1Queries++;
    }
    this.cost.d1Queries += applied.queries;
    this.cost.d1RowsRead += applied.rowsRead;
    this.cost.blobsRead = this.r2.gets;
    this.cost.blobsWritten = this.r2.puts;
    const found = [...violations.values()];
    if (opts.dryRun) {
      return { ...base, revision: this.head.id, committed: false, renderedChanges: rendered, ...(renderedTotal > rendered.length ? { renderedChangesTotal: renderedTotal } : {}), violations: [...this.ownerErrors, ...found], cost: this.cost };
    }
    if (found.length) {
      throw new DomainError('invalid-envoy-config', `the resulting Envoy configuration breaks ${found.length} validation rule${found.length === 1 ? '' : 's'} of Envoy's protos, so Envoy would reject it; nothing was stored`, found);
    }
    const statements = [...stagedCommitStatements(db, { id: this.revision, author: opts.author, source: opts.source, configHash: this.configHash, root: rootKey }, { json: this.listed.json, total: this.listed.total }, this.applyId), ...this.ownerStatements];
    checkBatchSize(statements.length);
    try {
      await db.batch(statements);
    } catch (err) {
      if (/UNIQUE|PRIMARY KEY|constraint/i.test(String((err as Error)?.message))) throw new DomainError('revision-taken', `another write committed revision ${this.revision} first; retry`);
      throw err;
    }
    this.cost.d1Queries += statements.length;
    this.cost.d1RowsWritten = this.staged * 2 + 1;
    primeConfigCache(this.revision, rootKey, root);
    for (const done of this.ownerCommitted) await done();
    console.log(JSON.stringify({ level: 'info', msg: 'revision committed', revision: this.revision, author: opts.author, changes: this.listed.count, source: opts.source, cost: this.cost }));
    return { ...base, revision: this.revision, committed: true, cost: this.cost };
  }

  /** The staged objects committed as one change (commit.ts), whole mesh in memory: what the batches cannot publish. */
  private async fallBack(reason: string): Promise<CommitOutcome> {
    const { results } = await this.env.DB.prepare('SELECT * FROM apply_staging WHERE apply_id = ?1').bind(this.applyId).all<RawObjectRow & { deleted: number }>();
    const changes: Change[] = results.map((r) => (r.deleted ? { op: 'delete', key: { kind: r.kind, namespace: r.namespace, name: r.name } as ObjectKey } : { op: 'put', object: rowToIntent(objectRowOf(r)) as IntentObject }));
    await this.abort();
    const outcome = await commitChanges(this.env, changes, this.opts);
    // Unchanged objects were never staged: the answer lists every object of the manifest, as a one-shot apply's does.
    const byKey = new Map(outcome.changes.map((c) => [keyOf(c), c]));
    const merged = this.results.map((r) => byKey.get(keyOf(r)) ?? r);
    return { ...outcome, changes: merged, warnings: [...this.warnings, ...outcome.warnings], cost: { ...outcome.cost, reason: `${outcome.cost.reason ? `${outcome.cost.reason}; ` : ''}batched apply fell back: ${reason}` } };
  }
}

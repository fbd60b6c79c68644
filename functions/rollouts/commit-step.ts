import { and, eq, lte, desc } from 'drizzle-orm';
import type { IntentKind, VirtualServiceSpec } from '../../xds';
import { etagOf, keyOf, type ObjectKey } from '../domain/config/object-key';
import { commitChanges, type Change, type CommitOutcome } from '../domain/config/commit';
import { objectHistory, objects, type ObjectRow } from '../domain/db/schema';
import { openDatabase, rowToIntent, type Database } from '../domain/db/store';
import type { Env } from '../env';
import { DomainError, type DomainReason } from '../domain/errors';
import { findRoute, foreignDestination } from './route-weights';
import type { Rollout } from './schema';
import { withoutAbRoute, withStep, type StepKind } from './step-kinds';

/** Who a commit is recorded as: the rollout's author and source for its own steps, the caller for promote and abort. */
export interface Actor {
  author: string;
  source: Record<string, string>;
}

/** `committed` false: the route (and manifest) already were as the step wants them, and `revision` is the head. */
export type StepCommit = { ok: true; revision: number; committed: boolean } | { ok: false; message: string };

export interface CommitStepOptions {
  /** Other changes committed in the same revision (the manifest, with step 0). */
  extra?: Change[];
  /** Throw the commit path's refusals as they are (409/422 naming the fields), as creating a rollout does. */
  throwRefusals?: boolean;
}

const ATTEMPTS = 3;

/** A write that lost a race (another revision first, the VirtualService changed since read): worth reading again. */
const RACES = new Set<DomainReason>(['precondition-failed', 'already-exists', 'not-found', 'revision-taken']);
/** The commit path refused what the change would make of the config: the caller aborts with why. */
const REFUSALS = new Set<DomainReason>(['inconsistent', 'invalid-envoy-config']);

const isRace = (err: unknown): boolean => err instanceof DomainError && RACES.has(err.reason);
const isRefusal = (err: unknown): err is DomainError => err instanceof DomainError && REFUSALS.has(err.reason);

/** Why the commit path refused a change, in one line (the detail and the first field errors). */
export function describeRefusal(err: DomainError): string {
  const fields = (err.fields ?? []).slice(0, 3).map((e) => `${e.object ? `${e.object} ` : ''}${e.path}: ${e.message}`);
  return [err.message, ...fields].join('; ');
}

async function readVirtualService(db: Database, r: Rollout): Promise<ObjectRow | undefined> {
  const { namespace, name } = r.virtualService;
  return db.select().from(objects).where(and(eq(objects.kind, 'VirtualService'), eq(objects.namespace, namespace), eq(objects.name, name))).get();
}

type RouteChange = { ok: true; change: Change | null } | { ok: false; message: string };

/**
 * The write that puts the rollout's route as step `kind` wants it (a weight, a mirror, an A/B route),
 * against the VirtualService as it is now (others may have edited it). Strict (a step): a missing
 * route or a foreign destination is a conflict. Lenient (a rollback): whatever can still be put back
 * on stable is, and the A/B route is taken away.
 */
async function routeChange(db: Database, r: Rollout, kind: StepKind, strict: boolean): Promise<RouteChange> {
  const { namespace, name } = r.virtualService;
  const row = await readVirtualService(db, r);
  if (!row) return strict ? { ok: false, message: `VirtualService ${namespace}/${name} no longer exists` } : { ok: true, change: null };
  const object = rowToIntent(row);
  const spec = object.spec as VirtualServiceSpec;
  // The rollout's route is named (or indexed) in the spec without the A/B route a match step inserted.
  const own = withoutAbRoute(spec, r.id);
  const found = findRoute(own, r.route);
  if (!found.ok) {
    if (strict) return { ok: false, message: `VirtualService ${namespace}/${name}: ${found.message}` };
    return { ok: true, change: own === spec ? null : { op: 'put', object: { ...object, spec: own as Record<string, unknown> }, ifMatch: etagOf(row) } };
  }
  const foreign = strict && foreignDestination(own.http![found.index]!, r.stable, r.candidate);
  if (foreign) return { ok: false, message: `VirtualService ${namespace}/${name} route ${r.route} was changed: ${foreign}` };
  const next = withStep(spec, found.index, r, kind);
  // If-Match: a concurrent edit of the VirtualService makes this a 412 and a fresh read, never a lost update.
  return { ok: true, change: { op: 'put', object: { ...object, spec: next as Record<string, unknown> }, ifMatch: etagOf(row) } };
}

const stepSource = (actor: Actor, id: number, step: string) => ({ ...actor.source, rollout: String(id), step });

/**
 * Commits one step: the route as step `kind` wants it (plus `opts.extra`, the manifest with step 0)
 * as one revision through the normal commit path. A refusal (the route gone or changed, the config no
 * longer consistent) comes back as a message, for the caller to abort with; other errors are thrown.
 */
export async function commitStep(env: Env, r: Rollout, step: number, kind: StepKind, actor: Actor, opts: CommitStepOptions = {}): Promise<StepCommit> {
  const db = openDatabase(env.DB);
  for (let attempt = 1; ; attempt++) {
    const route = await routeChange(db, r, kind, true);
    if (!route.ok) return route;
    try {
      const outcome = await commitChanges(env, [...(opts.extra ?? []), route.change!], { author: actor.author, source: stepSource(actor, r.id, String(step)) });
      return { ok: true, revision: outcome.revision, committed: outcome.committed };
    } catch (err) {
      if (isRace(err) && attempt < ATTEMPTS) continue;
      // A race lost every time is no refusal: thrown, so the driver tries again later instead of aborting.
      if (isRefusal(err) && !opts.throwRefusals) return { ok: false, message: describeRefusal(err) };
      throw err;
    }
  }
}

/** Puts each manifest object back as it was at `revision` (deleting those that did not exist then). */
async function restoreChanges(db: Database, keys: ObjectKey[], revision: number): Promise<Change[]> {
  if (!keys.length) return [];
  const where = (k: ObjectKey) => and(eq(objectHistory.kind, k.kind), eq(objectHistory.namespace, k.namespace), eq(objectHistory.name, k.name));
  const [current, ...history] = await db.batch([
    db.select({ kind: objects.kind, namespace: objects.namespace, name: objects.name }).from(objects),
    ...keys.map((k) => db.select({ object: objectHistory.object }).from(objectHistory).where(and(where(k), lte(objectHistory.revision, revision))).orderBy(desc(objectHistory.revision)).limit(1)),
  ]);
  const exists = new Set(current.map((row) => keyOf({ ...row, kind: row.kind as IntentKind })));
  return keys.flatMap((key, i): Change[] => {
    const before = history[i]?.[0]?.object;
    if (before) return [{ op: 'put', object: rowToIntent(before as unknown as ObjectRow) }];
    return exists.has(keyOf(key)) ? [{ op: 'delete', key }] : [];
  });
}

export interface RollbackResult {
  /** The rollback's revision; null when nothing needed changing, or nothing could be committed (then `error` says why). */
  revision: number | null;
  /** Set when the full rollback was refused: what was committed instead, and why. */
  error?: string;
}

/**
 * Aborting: the route back on stable alone and the manifest's objects as they were at the base
 * revision, as one revision. If the commit path refuses that (someone changed what it depends on),
 * the route alone is put back; if even that is refused, nothing is, and the error says why.
 */
export async function commitRollback(env: Env, r: Rollout, actor: Actor): Promise<RollbackResult> {
  const db = openDatabase(env.DB);
  const source = stepSource(actor, r.id, 'rollback');
  let error: string | undefined;
  for (const withManifest of [true, false]) {
    for (let attempt = 1; ; attempt++) {
      const restore = withManifest && r.baseRevision !== null ? await restoreChanges(db, r.manifest, r.baseRevision) : [];
      const route = await routeChange(db, r, { kind: 'weight', weight: 0 }, false);
      const changes = [...restore, ...(route.ok && route.change ? [route.change] : [])];
      try {
        const outcome: CommitOutcome = await commitChanges(env, changes, { author: actor.author, source });
        const revision = outcome.committed ? outcome.revision : null;
        return error ? { revision, error } : { revision };
      } catch (err) {
        if (isRace(err) && attempt < ATTEMPTS) continue;
        // Still racing: thrown (the driver retries), not mistaken for a refusal that skips the manifest or the route.
        if (!isRefusal(err)) throw err;
        if (!withManifest || !r.manifest.length) return { revision: null, error: `the rollback was refused, nothing was changed: ${describeRefusal(err)}` };
        error = `the manifest's objects could not be restored (${describeRefusal(err)}); only the route was put back on stable`;
        break;
      }
    }
  }
  return { revision: null, error: error ?? 'the rollback was refused' };
}

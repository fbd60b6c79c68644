import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { revisions, rollouts, type RolloutRow, type RolloutStateName } from '../domain/db/schema';
import type { Database } from '../domain/db/store';
import type { Rollout, RolloutBody } from './schema';

/** The states in which a rollout still owns its route: at most one per VirtualService. */
export const ACTIVE_STATES: readonly RolloutStateName[] = ['progressing', 'paused'];
export const isFinished = (r: Pick<Rollout, 'state'>) => r.state === 'succeeded' || r.state === 'aborted';

export function rowToRollout(row: RolloutRow): Rollout {
  const body = row.body as unknown as RolloutBody;
  return { id: row.id, ...body, state: row.state, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

/** The rollout as the API shows it: without the provider's credential (encrypted as it is) or a held-back manifest. */
export function shown(r: Rollout): Rollout {
  const { pendingManifest: _held, ...rest } = r;
  if (!rest.analysis) return rest;
  const { credential: _credential, ...provider } = rest.analysis.provider;
  return { ...rest, analysis: { ...rest.analysis, provider } };
}

function bodyOf(r: Rollout): RolloutBody {
  const { id: _id, state: _state, createdAt: _createdAt, updatedAt: _updatedAt, ...body } = r;
  return body;
}

export async function loadRollout(db: Database, id: number): Promise<Rollout | undefined> {
  const row = await db.select().from(rollouts).where(eq(rollouts.id, id)).get();
  return row && rowToRollout(row);
}

/** Writes the rollout back (D1 is the truth) with when the driver next has something to do. */
export async function saveRollout(db: Database, r: Rollout, nextAt: number | null): Promise<Rollout> {
  const updatedAt = new Date().toISOString();
  await db
    .update(rollouts)
    .set({ state: r.state, body: bodyOf(r) as unknown as Record<string, unknown>, nextCheckAt: nextAt === null ? null : new Date(nextAt).toISOString(), updatedAt })
    .where(eq(rollouts.id, r.id));
  return { ...r, updatedAt };
}

/**
 * Inserts a new progressing rollout unless the VirtualService already has an active one, in one
 * statement, so two concurrent requests cannot both claim it. Returns the id, or undefined when taken.
 */
export async function claimRollout(d1: D1Database, body: RolloutBody, now: string): Promise<number | undefined> {
  const { namespace, name } = body.virtualService;
  const row = await d1
    .prepare(
      `insert into rollouts (name, vs_namespace, vs_name, route, state, body, next_check_at, created_at, updated_at)
       select ?, ?, ?, ?, 'progressing', ?, null, ?, ?
       where not exists (select 1 from rollouts where vs_namespace = ? and vs_name = ? and state in ('progressing', 'paused'))
       returning id`,
    )
    .bind(body.name, namespace, name, body.route, JSON.stringify(body), now, now, namespace, name)
    .first<{ id: number }>();
  return row?.id;
}

export async function deleteRollout(db: Database, id: number): Promise<void> {
  await db.delete(rollouts).where(eq(rollouts.id, id));
}

export async function activeRolloutOn(db: Database, namespace: string, name: string) {
  return db
    .select({ id: rollouts.id, state: rollouts.state })
    .from(rollouts)
    .where(and(eq(rollouts.vsNamespace, namespace), eq(rollouts.vsName, name), sql`${rollouts.state} in ('progressing', 'paused')`))
    .get();
}

export async function listRollouts(db: Database, state: RolloutStateName | undefined, limit: number): Promise<Rollout[]> {
  const rows = await db
    .select()
    .from(rollouts)
    .where(state ? eq(rollouts.state, state) : undefined)
    .orderBy(desc(rollouts.id))
    .limit(limit);
  return rows.map(rowToRollout);
}

/**
 * The revision a rollout already committed for `step` ("0", "1"... or "rollback"), found by the
 * source it was committed with; only revisions after `after` are looked at. This is how a step
 * interrupted between its commit and the rollout's update is not committed twice.
 */
export async function findCommittedRevision(db: Database, id: number, step: string, after: number): Promise<number | undefined> {
  const row = await db
    .select({ id: revisions.id })
    .from(revisions)
    .where(and(gt(revisions.id, after), sql`json_extract(${revisions.source}, '$.rollout') = ${String(id)}`, sql`json_extract(${revisions.source}, '$.step') = ${step}`))
    .orderBy(desc(revisions.id))
    .limit(1)
    .get();
  return row?.id;
}

/** Progressing rollouts whose driver should have acted by now (for the safety sweep). */
export async function overdueRollouts(db: Database, now: string): Promise<number[]> {
  const rows = await db
    .select({ id: rollouts.id })
    .from(rollouts)
    .where(and(eq(rollouts.state, 'progressing'), sql`(${rollouts.nextCheckAt} is null or ${rollouts.nextCheckAt} < ${now})`));
  return rows.map((r) => r.id);
}

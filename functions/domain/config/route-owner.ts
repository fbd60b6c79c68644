import type { Destination, FieldError, VirtualServiceSpec } from '../../../xds';
import type { Env } from '../../env';
import type { ObjectRow } from '../db/schema';
import { DomainError } from '../errors';
import { deliveryStatements, wakeDispatcher } from '../events/outbox';
import { candidateShare, findRoute } from './route-lookup';

/** What a write's warning (or refusal) names: the field, and the object it is in. */
export type OwnerWarning = FieldError & { object: string };

/**
 * How a write that moves a route an active rollout drives was asked for: refused (409) unless the
 * caller said `abort` (the rollout aborts in the write's revision) or `force` (committed, the rollout
 * left running, with a warning).
 */
export type RolloutOverride = 'abort' | 'force';

export interface RouteOwnerOptions {
  source: Record<string, string>;
  author: string;
  dryRun?: boolean | undefined;
  rolloutOverride?: RolloutOverride | undefined;
  /** The revision the write will commit as (head + 1). */
  revision: number;
}

export interface RouteOwnerOutcome {
  warnings: OwnerWarning[];
  /** Dry run without an override: the refusal a real write would get, as errors. */
  errors: OwnerWarning[];
  /** `abort`: the statements that abort the rollouts (and record their events), for the write's own batch. */
  statements: D1PreparedStatement[];
  /** After the batch committed: wakes the webhook dispatcher for the rollout.aborted events (best effort). */
  committed: () => Promise<void>;
}

interface Touched {
  row: ObjectRow | null;
  before?: ObjectRow | undefined;
}

/** The fields of an active rollout's body this needs (functions/rollouts/schema.ts has them all). */
interface RolloutBody {
  name?: string | null;
  route: string;
  candidate: Destination;
  weight: number;
  steps: number[];
  currentStep: number;
  history: { step: number; revision: number | null; outcome: string }[];
}

interface ActiveRollout {
  id: number;
  state: string;
  namespace: string;
  name: string;
  updatedAt: string;
  body: RolloutBody;
  raw: Record<string, unknown>;
}

/** One rollout a write would move the route of: what it is, and what the write does to it. */
interface Conflict {
  rollout: ActiveRollout;
  warning: OwnerWarning;
  /** The candidate's share after the write; null when the write leaves no route (or deletes the VirtualService). */
  share: number | null;
}

const NOTHING: RouteOwnerOutcome = { warnings: [], errors: [], statements: [], committed: async () => {} };

const routesOf = (row: ObjectRow | null | undefined) => JSON.stringify(((row?.spec ?? {}) as VirtualServiceSpec).http?.map((r) => r.route) ?? null);
const stepOf = (b: RolloutBody) => `step ${Math.min(b.currentStep + 1, b.steps.length)} of ${b.steps.length}`;

async function activeRollouts(db: D1Database, changed: Touched[]): Promise<ActiveRollout[]> {
  const where = changed.map(() => '(vs_namespace = ? and vs_name = ?)').join(' or ');
  const { results } = await db
    .prepare(`select id, state, vs_namespace as namespace, vs_name as name, updated_at as updatedAt, body from rollouts where state in ('progressing', 'paused') and (${where})`)
    .bind(...changed.flatMap((t) => [t.before!.namespace, t.before!.name]))
    .all<{ id: number; state: string; namespace: string; name: string; updatedAt: string; body: string }>();
  return results.map((r) => {
    const raw = JSON.parse(r.body) as Record<string, unknown>;
    return { ...r, raw, body: raw as unknown as RolloutBody };
  });
}

/** What the write does to each rollout's route; a write that leaves the candidate's share alone is none. */
function conflictsOf(rollouts: ActiveRollout[], changed: Touched[]): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const r of rollouts) {
    const t = changed.find((c) => c.before!.namespace === r.namespace && c.before!.name === r.name)!;
    const { body } = r;
    const where = `rollout ${r.id} (${r.state}, ${stepOf(body)}, candidate at ${body.weight}%) drives route ${body.route}`;
    const object = `VirtualService ${r.namespace}/${r.name}`;
    if (!t.row) {
      conflicts.push({ rollout: r, share: null, warning: { object, path: 'metadata.name', message: `${where}: deleting the VirtualService makes the rollout abort at its next step` } });
      continue;
    }
    const spec = t.row.spec as VirtualServiceSpec;
    const found = findRoute(spec, body.route);
    const share = candidateShare(spec, body.route, body.candidate);
    if (share === body.weight) continue;
    const path = found.ok ? `spec.http[${found.index}].route` : 'spec.http';
    const now = share === undefined ? 'leaves it with no route to shift, so the rollout aborts at its next step' : `puts the candidate at ${share}%, which the rollout's next step overwrites${r.state === 'paused' ? ' once it is resumed' : ''}`;
    conflicts.push({ rollout: r, share: share ?? null, warning: { object, path, message: `${where}: this write ${now}` } });
  }
  return conflicts;
}

/** The 409's detail: what is refused, and the three ways on. */
function refusal(conflicts: Conflict[]): DomainError {
  const ids = conflicts.map((c) => c.rollout.id);
  const named = ids.length === 1 ? `rollout ${ids[0]}` : `rollouts ${ids.join(', ')}`;
  const detail =
    `this write changes the route of ${named}, which ${ids.length === 1 ? 'owns' : 'own'} its weights while active; nothing was stored. ` +
    `Send it again with ?rollout=abort to abort ${named} in the same revision (the write's weights stand), or with ?force=true to commit it and leave ${named} running (its next step sets its weight again); ` +
    `or steer the rollout first (xdsflare rollout pause|promote|abort ${ids[0]})`;
  const rollouts = conflicts.map(({ rollout: r }) => ({
    id: r.id,
    state: r.state,
    virtualService: { namespace: r.namespace, name: r.name },
    route: r.body.route,
    currentStep: r.body.currentStep,
    steps: r.body.steps,
    weight: r.body.weight,
  }));
  return new DomainError('rollout-owns-route', detail, conflicts.map((c) => c.warning), { rollouts });
}

/**
 * The aborted rollout's row, in the write's batch: state aborted, the write's revision as the one that
 * ended it (nothing is rolled back: the write's weights stand, and the manifest's objects stay as they
 * are). A guard then fails the batch (a primary-key clash, answered as a lost race: retry) when the
 * rollout changed since it was read, so the write and the abort commit together or not at all.
 */
async function abortStatements(env: Pick<Env, 'DB'>, c: Conflict, opts: RouteOwnerOptions, at: string): Promise<D1PreparedStatement[]> {
  const db = env.DB;
  const r = c.rollout;
  const history = r.body.history.map((h, i, all) => (i === all.length - 1 && h.outcome === 'pending' ? { ...h, outcome: 'skipped' } : h));
  const message = `aborted by ${opts.author}'s write with ?rollout=abort: revision ${opts.revision} ${c.share === null ? 'removed the route' : `set the candidate at ${c.share}%`}, and nothing was rolled back`;
  const abort = { reason: 'manual', message, revision: opts.revision, rejections: [], rollbackRevision: opts.revision, at };
  const body = { ...r.raw, history, abort, weight: c.share ?? 0, finishedAt: at };
  const about = { rollout: r.id, name: r.body.name ?? null, virtualService: { namespace: r.namespace, name: r.name }, route: r.body.route };
  // The rollout.aborted event (as rollouts/events.ts words it) commits with the abort: recorded only if the write is.
  const event = await deliveryStatements(env as Env, 'rollout.aborted', { ...about, ...abort }, { dedupeKey: `rollout.aborted/${r.id}` });
  return [
    db
      .prepare(`update rollouts set state = 'aborted', body = ?, next_check_at = null, updated_at = ? where id = ? and state in ('progressing', 'paused') and updated_at = ?`)
      .bind(JSON.stringify(body), at, r.id, r.updatedAt),
    db
      .prepare(`insert into rollouts (id, vs_namespace, vs_name, route, state, body, created_at, updated_at) select id, '', '', '', '', '{}', '', '' from rollouts where id = ? and (state <> 'aborted' or updated_at <> ?)`)
      .bind(r.id, at),
    ...event,
  ];
}

/**
 * The rule that an active rollout owns its route's weights, for one write (not a rollout's own): a
 * write that changes them, or deletes the VirtualService, is refused (409 naming the rollout) unless
 * `rolloutOverride` says `abort` (the rollout ends in the write's revision) or `force` (committed with
 * a warning; the rollout's next step sets its weight again). A dry run reports the refusal as errors.
 * Reads D1 only when a VirtualService's route destinations changed.
 */
export async function rolloutRouteOwner(env: Pick<Env, 'DB'> & Partial<Pick<Env, 'EVENTS'>>, touched: Touched[], opts: RouteOwnerOptions): Promise<RouteOwnerOutcome> {
  if (opts.source.rollout !== undefined) return NOTHING;
  const changed = touched.filter((t) => t.before?.kind === 'VirtualService' && routesOf(t.before) !== routesOf(t.row));
  if (!changed.length) return NOTHING;
  const conflicts = conflictsOf(await activeRollouts(env.DB, changed), changed);
  if (!conflicts.length) return NOTHING;

  if (opts.rolloutOverride === 'force') {
    const warnings = conflicts.map((c) => ({ ...c.warning, message: `${c.warning.message}; committed with ?force=true (to keep this split, abort the rollout: xdsflare rollout abort ${c.rollout.id})` }));
    return { ...NOTHING, warnings };
  }
  if (opts.rolloutOverride !== 'abort') {
    if (opts.dryRun) return { ...NOTHING, errors: conflicts.map((c) => ({ ...c.warning, message: `${c.warning.message}; a real write is refused (409) unless it says ?rollout=abort or ?force=true` })) };
    throw refusal(conflicts);
  }
  const warnings = conflicts.map((c) => ({ ...c.warning, message: `${c.warning.message}; rollout ${c.rollout.id} is aborted in this write's revision (?rollout=abort)` }));
  if (opts.dryRun) return { ...NOTHING, warnings };
  const at = new Date().toISOString();
  const statements: D1PreparedStatement[] = [];
  for (const c of conflicts) statements.push(...(await abortStatements(env, c, opts, at)));
  const committed = async () => {
    if (!env.EVENTS) return;
    await wakeDispatcher(env as Env).catch((err) => console.warn(JSON.stringify({ msg: 'could not wake the event dispatcher; the cron sweep will', error: String(err) })));
  };
  return { warnings, errors: [], statements, committed };
}

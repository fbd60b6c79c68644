import type { Destination, FieldError, VirtualServiceSpec } from '../../../xds';
import type { ObjectRow } from '../db/schema';
import { candidateShare, findRoute } from './route-lookup';

/** What a write's warning names: the field, and the object it is in. */
export type OwnerWarning = FieldError & { object: string };

interface Touched {
  row: ObjectRow | null;
  before?: ObjectRow | undefined;
}

/** The fields of an active rollout's body this needs (functions/rollouts/schema.ts has them all). */
interface RolloutBody {
  route: string;
  candidate: Destination;
  weight: number;
  steps: number[];
  currentStep: number;
}

const routesOf = (row: ObjectRow | null | undefined) => JSON.stringify(((row?.spec ?? {}) as VirtualServiceSpec).http?.map((r) => r.route) ?? null);

/**
 * Warnings for a write (not a rollout's own) that changes the weights of a route an active rollout
 * drives, or deletes its VirtualService: the write stands, and the rollout's next step sets the
 * route again. Reads D1 only when a VirtualService's route destinations changed.
 */
export async function rolloutRouteWarnings(db: D1Database, touched: Touched[], source: Record<string, string>): Promise<OwnerWarning[]> {
  if (source.rollout !== undefined) return [];
  const changed = touched.filter((t) => t.before?.kind === 'VirtualService' && routesOf(t.before) !== routesOf(t.row));
  if (!changed.length) return [];
  const where = changed.map(() => '(vs_namespace = ? and vs_name = ?)').join(' or ');
  const { results } = await db
    .prepare(`select id, state, vs_namespace as namespace, vs_name as name, body from rollouts where state in ('progressing', 'paused') and (${where})`)
    .bind(...changed.flatMap((t) => [t.before!.namespace, t.before!.name]))
    .all<{ id: number; state: string; namespace: string; name: string; body: string }>();
  const warnings: OwnerWarning[] = [];
  for (const r of results) {
    const t = changed.find((c) => c.before!.namespace === r.namespace && c.before!.name === r.name)!;
    const body = JSON.parse(r.body) as RolloutBody;
    const where = `rollout ${r.id} (${r.state}, step ${Math.min(body.currentStep + 1, body.steps.length)} of ${body.steps.length}, candidate at ${body.weight}%) drives route ${body.route}`;
    const object = `VirtualService ${r.namespace}/${r.name}`;
    if (!t.row) {
      warnings.push({ object, path: 'metadata.name', message: `${where}: deleting the VirtualService makes the rollout abort at its next step (xdsflare rollout abort ${r.id} first)` });
      continue;
    }
    const spec = t.row.spec as VirtualServiceSpec;
    const found = findRoute(spec, body.route);
    const share = candidateShare(spec, body.route, body.candidate);
    const path = found.ok ? `spec.http[${found.index}].route` : 'spec.http';
    if (share === body.weight) continue;
    const now = share === undefined ? 'leaves it with no route to shift, so the rollout aborts at its next step' : `puts the candidate at ${share}%, which the rollout's next step overwrites${r.state === 'paused' ? ' once it is resumed' : ''}`;
    warnings.push({ object, path, message: `${where}: this write ${now}; to keep this split, abort the rollout (xdsflare rollout abort ${r.id}), or steer it (pause, promote)` });
  }
  return warnings;
}

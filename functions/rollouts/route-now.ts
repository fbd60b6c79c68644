import { and, eq } from 'drizzle-orm';
import type { VirtualServiceSpec } from '../../xds';
import { candidateShare } from '../domain/config/route-lookup';
import { objects } from '../domain/db/schema';
import type { Database } from '../domain/db/store';
import type { Rollout, RouteNow } from './schema';
import { isFinished } from './store';
import { withoutAbRoute } from './step-kinds';

/**
 * An active rollout with the candidate's share of its route as the VirtualService holds it now: a
 * write by someone else (warned about, see domain/config/route-owner.ts) may have moved it away from
 * the rollout's `weight` until the next step. Finished rollouts own nothing and are returned as they are.
 */
export async function withRouteNow(db: Database, r: Rollout): Promise<Rollout & { routeNow?: RouteNow }> {
  if (isFinished(r)) return r;
  const { namespace, name } = r.virtualService;
  const row = await db
    .select({ spec: objects.spec, resourceVersion: objects.resourceVersion })
    .from(objects)
    .where(and(eq(objects.kind, 'VirtualService'), eq(objects.namespace, namespace), eq(objects.name, name)))
    .get();
  const weight = row ? (candidateShare(withoutAbRoute(row.spec as VirtualServiceSpec, r.id), r.route, r.candidate) ?? null) : null;
  return { ...r, routeNow: { candidateWeight: weight, revision: row?.resourceVersion ?? null, matches: weight === r.weight } };
}

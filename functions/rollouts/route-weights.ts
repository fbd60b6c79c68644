import type { Destination, HTTPRoute, HTTPRouteDestination, VirtualServiceSpec } from '../../xds';
import type { ProblemField } from '../http/problem';
import { describeDestination, sameDestination } from '../domain/config/route-lookup';

export { describeDestination, findRoute, sameDestination, type RouteLookup } from '../domain/config/route-lookup';

/** Why a route is not (or no longer) the rollout's to drive: no destinations, or one that is neither stable nor candidate. */
export function foreignDestination(route: HTTPRoute, stable: Destination, candidate: Destination): string | undefined {
  if (!route.route) return 'the route has no destinations (a redirect or a direct response): there is no traffic to shift';
  const other = route.route.find((d) => !sameDestination(d.destination, stable) && !sameDestination(d.destination, candidate));
  if (other) return `the route also sends traffic to ${describeDestination(other.destination)}; a rollout shifts traffic between the stable and candidate destinations only`;
  return undefined;
}

/**
 * Why this rollout cannot drive the route, or undefined: the route must send traffic to the stable
 * destination only, or to stable and candidate, and to nothing else.
 */
export function checkRouteDestinations(route: HTTPRoute, stable: Destination, candidate: Destination): ProblemField | undefined {
  const foreign = foreignDestination(route, stable, candidate);
  if (foreign) return { path: 'route', message: foreign };
  const stables = (route.route ?? []).filter((d) => sameDestination(d.destination, stable));
  const candidates = (route.route ?? []).filter((d) => sameDestination(d.destination, candidate));
  if (stables.length !== 1) return { path: 'stable', message: stables.length ? `the route lists ${describeDestination(stable)} ${stables.length} times` : `the route does not send traffic to ${describeDestination(stable)}` };
  if (candidates.length > 1) return { path: 'candidate', message: `the route lists ${describeDestination(candidate)} ${candidates.length} times` };
  return undefined;
}

/**
 * The spec with route `index` at `weight` percent on the candidate (0: stable only, 100: candidate
 * only). Only that route's destinations change; an entry already there keeps its other fields (headers).
 */
export function withCandidateWeight(spec: VirtualServiceSpec, index: number, stable: Destination, candidate: Destination, weight: number): VirtualServiceSpec {
  const http = spec.http ?? [];
  const current = http[index]?.route ?? [];
  const entry = (d: Destination): HTTPRouteDestination => current.find((r) => sameDestination(r.destination, d)) ?? { destination: d };
  const route =
    weight >= 100
      ? [{ ...entry(candidate), weight: 100 }]
      : weight <= 0
        ? [{ ...entry(stable), weight: 100 }]
        : [
            { ...entry(stable), weight: 100 - weight },
            { ...entry(candidate), weight },
          ];
  return { ...spec, http: http.map((r, i) => (i === index ? { ...r, route } : r)) };
}

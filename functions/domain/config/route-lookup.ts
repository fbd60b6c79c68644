import type { Destination, VirtualServiceSpec } from '../../../xds';

/** The http route a rollout drives: its index now, and how the rollout names it (`name` or `#index`). */
export type RouteLookup = { ok: true; index: number; ref: string } | { ok: false; message: string };

/**
 * Finds the route by its `name`, or by `#<index>`; with no reference, the VirtualService's only http
 * route. A named route is found by name on every step, so routes inserted before it do not matter.
 */
export function findRoute(spec: VirtualServiceSpec, ref: string | undefined): RouteLookup {
  const http = spec.http ?? [];
  if (ref === undefined) {
    if (http.length === 1) return { ok: true, index: 0, ref: http[0]!.name ?? '#0' };
    return { ok: false, message: `the VirtualService has ${http.length} http routes; name one ("route": "<name>" or "#<index>")` };
  }
  const byIndex = /^#(\d+)$/.exec(ref);
  if (byIndex) {
    const index = Number(byIndex[1]);
    return index < http.length ? { ok: true, index, ref } : { ok: false, message: `the VirtualService has no http route #${index} (it has ${http.length})` };
  }
  const index = http.findIndex((r) => r.name === ref);
  if (index >= 0) return { ok: true, index, ref };
  const names = http.map((r) => r.name).filter(Boolean);
  return { ok: false, message: `the VirtualService has no http route named "${ref}"${names.length ? ` (routes: ${names.join(', ')})` : ''}` };
}

/** Same host and subset; ports compared only when both name one (a route may leave the port implicit). */
export function sameDestination(a: Destination, b: Destination): boolean {
  if (a.host !== b.host || (a.subset ?? '') !== (b.subset ?? '')) return false;
  return a.port === undefined || b.port === undefined || a.port.number === b.port.number;
}

export const describeDestination = (d: Destination) => `${d.host}${d.subset ? ` subset ${d.subset}` : ''}${d.port ? ` port ${d.port.number}` : ''}`;

/**
 * The candidate's share of the route in percent, as Envoy splits it (weights are relative; a lone
 * destination without a weight takes everything); undefined when the route is gone or has no destinations.
 */
export function candidateShare(spec: VirtualServiceSpec, ref: string | undefined, candidate: Destination): number | undefined {
  const found = findRoute(spec, ref);
  if (!found.ok) return undefined;
  const dests = spec.http![found.index]!.route ?? [];
  if (!dests.length) return undefined;
  const weightOf = (w: number | undefined) => (dests.length === 1 ? (w ?? 100) || 100 : (w ?? 0));
  const total = dests.reduce((sum, d) => sum + weightOf(d.weight), 0);
  if (!total) return undefined;
  const mine = dests.filter((d) => sameDestination(d.destination, candidate)).reduce((sum, d) => sum + weightOf(d.weight), 0);
  return Math.round((mine * 100) / total);
}

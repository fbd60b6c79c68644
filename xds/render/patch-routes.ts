import type { EnvoyPatchIR, PatchTarget } from '../ir/envoy-filter';
import { hasRouteMatch, routeConfigurationMatches, routeMatches, virtualHostMatches } from './patch-match';
import { addNamed, placeInList, removeOrMerge } from './patch-lists';
import { protoMerge } from './proto-merge';

type Json = Record<string, any>;
type Patches = Partial<Record<PatchTarget, EnvoyPatchIR[]>>;

/** Routes of a virtual host: each through the REMOVE and MERGE patches in order (a REMOVE ends it), then the additions, as Istio does. */
function patchHttpRoutes(vh: Json, patches: EnvoyPatchIR[]): Json {
  const reaching = patches.filter((p) => virtualHostMatches(vh, p.routeConfiguration));
  if (!reaching.length) return vh;
  let routes = (vh.routes ?? []).map((r: Json) => removeOrMerge(r, reaching, (e, p) => routeMatches(e, p.routeConfiguration))).filter((r: Json | undefined): r is Json => r !== undefined);
  for (const p of reaching) {
    if (p.operation === 'REMOVE' || p.operation === 'MERGE') continue;
    const matches = hasRouteMatch(p.routeConfiguration) ? (r: Json) => routeMatches(r, p.routeConfiguration) : undefined;
    routes = placeInList(routes, p.operation, p.value!, p.operation === 'ADD' ? undefined : matches, true);
  }
  return { ...vh, routes };
}

/**
 * Istio's route patching: the route configuration MERGEs; each virtual host through the REMOVE and
 * MERGE patches (a REMOVE ends it), then its routes; then the added virtual hosts, which no other
 * patch touches. A removed name goes last, so an added virtual host of that name goes too.
 */
function patchRouteConfiguration(rc: Json, patches: Patches): Json {
  let out = rc;
  for (const p of patches.ROUTE_CONFIGURATION ?? []) if (routeConfigurationMatches(out, p.routeConfiguration)) out = protoMerge(out, p.value!);
  const reaching = (target: PatchTarget) => (patches[target] ?? []).filter((p) => routeConfigurationMatches(out, p.routeConfiguration));
  const vhostPatches = reaching('VIRTUAL_HOST');
  const routePatches = reaching('HTTP_ROUTE');
  if (!vhostPatches.length && !routePatches.length) return out;
  const removed = new Set<string>();
  let vhosts: Json[] = (out.virtual_hosts ?? []).flatMap((vh: Json) => {
    const current = removeOrMerge(vh, vhostPatches, (e, p) => virtualHostMatches(e, p.routeConfiguration));
    if (current) return [patchHttpRoutes(current, routePatches)];
    removed.add(vh.name);
    return [];
  });
  for (const p of vhostPatches) if (p.operation === 'ADD') vhosts = addNamed(vhosts, structuredClone(p.value!));
  return { ...out, virtual_hosts: vhosts.filter((vh) => !removed.has(vh.name)) };
}

export function patchRoutes(routes: Json[], patches: Patches): Json[] {
  return routes.map((rc) => patchRouteConfiguration(rc, patches));
}

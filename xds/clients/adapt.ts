import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { GrpcCapabilities } from './capabilities';

type Json = Record<string, unknown>;

/** The pre-A63 HeaderMatcher field for each StringMatcher form (route_components.proto; gRFC A28). */
const LEGACY_FIELDS = { exact: 'exact_match', prefix: 'prefix_match', suffix: 'suffix_match', contains: 'contains_match' } as const;

const escapeRe2 = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/**
 * A StringMatcher as the older HeaderMatcher fields say it. ignore_case has no older field: it becomes
 * a case-insensitive RE2 regex (gRPC matches safe_regex_match against the whole value), so the meaning
 * is kept exactly.
 */
function legacyHeaderMatch(m: Json): Json {
  if (m.safe_regex) return { safe_regex_match: m.safe_regex };
  const kind = (Object.keys(LEGACY_FIELDS) as (keyof typeof LEGACY_FIELDS)[]).find((k) => typeof m[k] === 'string');
  if (!kind) return { string_match: m };
  const value = m[kind] as string;
  if (!m.ignore_case) return { [LEGACY_FIELDS[kind]]: value };
  const v = escapeRe2(value);
  const regex = { exact: v, prefix: `${v}.*`, suffix: `.*${v}`, contains: `.*${v}.*` }[kind];
  return { safe_regex_match: { regex: `(?i)${regex}` } };
}

function adaptRoute(route: Json, caps: GrpcCapabilities): Json {
  let out = route;
  const match = route.match as Json | undefined;
  const headers = match?.headers as Json[] | undefined;
  if (!caps.headerStringMatch && headers?.some((h) => h.string_match)) {
    const legacy = headers.map(({ string_match, ...h }) => (string_match ? { ...h, ...legacyHeaderMatch(string_match as Json) } : h));
    out = { ...out, match: { ...match, headers: legacy } };
  }
  const action = route.route as Json | undefined;
  const weighted = action?.weighted_clusters as { clusters: { weight?: number }[]; total_weight?: number } | undefined;
  if (caps.needsTotalWeight && weighted && weighted.total_weight === undefined) {
    const sum = weighted.clusters.reduce((s, c) => s + (c.weight ?? 0), 0);
    if (sum !== 100) out = { ...out, route: { ...action, weighted_clusters: { ...weighted, total_weight: sum } } };
  }
  return out;
}

/**
 * A gRPC view's resource as a client with these capabilities accepts it, meaning the same. Only route
 * configurations differ today; anything else (and a route configuration that needs nothing) comes back
 * as the same object, so its encoding is shared with clients that need no change.
 */
export function adaptForClient(resource: Json, caps: GrpcCapabilities): Json {
  if (resource['@type'] !== RESOURCE_TYPES.routes) return resource;
  let changed = false;
  const virtualHosts = (resource.virtual_hosts as Json[] | undefined)?.map((vh) => {
    const routes = (vh.routes as Json[] | undefined)?.map((r) => {
      const adapted = adaptRoute(r, caps);
      if (adapted !== r) changed = true;
      return adapted;
    });
    return routes ? { ...vh, routes } : vh;
  });
  return changed ? { ...resource, virtual_hosts: virtualHosts } : resource;
}

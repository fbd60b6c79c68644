type Json = Record<string, any>;

/** The HTTP connection managers of a listener: socket listeners' filter chains and gRPC API listeners. */
function connectionManagers(listener: Json): Json[] {
  const hcms: Json[] = [];
  if (listener.api_listener?.api_listener) hcms.push(listener.api_listener.api_listener);
  for (const chain of listener.filter_chains ?? []) for (const f of chain.filters ?? []) if (f.typed_config?.rds || f.typed_config?.route_config) hcms.push(f.typed_config);
  return hcms;
}

/** Route configs a listener needs over RDS. */
export function routeConfigNamesOf(listener: Json): string[] {
  return connectionManagers(listener)
    .map((h) => h.rds?.route_config_name)
    .filter((n): n is string => typeof n === 'string');
}

/** Clusters a listener sends traffic to directly (TCP proxy filters, one cluster or weighted). */
export function tcpClustersOf(listener: Json): string[] {
  const out: string[] = [];
  for (const chain of listener.filter_chains ?? []) {
    for (const f of chain.filters ?? []) {
      if (typeof f.typed_config?.cluster === 'string') out.push(f.typed_config.cluster);
      for (const w of f.typed_config?.weighted_clusters?.clusters ?? []) out.push(w.name);
    }
  }
  return out;
}

/** Clusters one route sends traffic to, mirrors included (a redirect or direct response has none). */
export function clustersOfRoute(route: Json): string[] {
  const action = route.route ?? {};
  const mirrors = (action.request_mirror_policies ?? []).map((m: Json) => m.cluster);
  if (action.cluster) return [action.cluster, ...mirrors];
  return [...(action.weighted_clusters?.clusters ?? []).map((c: Json) => c.name), ...mirrors];
}

/** Every cluster a route configuration sends traffic to. */
export function clustersOfRouteConfig(config: Json): string[] {
  const out = new Set<string>();
  for (const vh of config.virtual_hosts ?? []) for (const route of vh.routes ?? []) for (const c of clustersOfRoute(route)) out.add(c);
  return [...out];
}

import { PREVIOUS_HOSTS_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { RouteIR, RouteMatchIR, StringMatchIR, VirtualHostIR } from '../ir/types';
import { hashPolicyFor } from './hash-policies';

type Json = Record<string, unknown>;

const stringMatch = (m: StringMatchIR): Json => (m.kind === 'regex' ? { safe_regex: { regex: m.value } } : { [m.kind]: m.value });

function buildMatch(m: RouteMatchIR | undefined): Json {
  const uri = m?.uri;
  const path = !uri ? { prefix: '/' } : uri.kind === 'exact' ? { path: uri.value } : uri.kind === 'prefix' ? { prefix: uri.value } : { safe_regex: { regex: uri.value } };
  const headers = [...(m?.headers ?? []), ...(m?.method ? [{ name: ':method', match: m.method }] : [])].map((h) => ({ name: h.name, string_match: stringMatch(h.match) }));
  return { ...path, ...(headers.length ? { headers } : {}) };
}

function buildAction(route: RouteIR): Json {
  const target =
    route.destinations.length === 1
      ? { cluster: route.destinations[0]!.cluster }
      : { weighted_clusters: { clusters: route.destinations.map((d) => ({ name: d.cluster, weight: d.weight })) } };
  const retry = route.retry && {
    retry_on: route.retry.retryOn,
    num_retries: route.retry.attempts,
    ...(route.retry.perTryTimeout ? { per_try_timeout: route.retry.perTryTimeout } : {}),
    // Retry on another endpoint than the one that failed, as Istio does.
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': PREVIOUS_HOSTS_TYPE } }],
    host_selection_retry_max_attempts: '5',
  };
  return { ...target, timeout: route.timeout, ...(retry ? { retry_policy: retry } : {}), ...hashPolicyFor(route) };
}

/** One Envoy route per match of a rule (a rule without match catches everything). */
export function buildRoutes(routes: RouteIR[]): Json[] {
  return routes.flatMap((route) => {
    const matches = route.matches.length ? route.matches : [undefined];
    return matches.map((m) => ({ ...(route.name ? { name: route.name } : {}), match: buildMatch(m), route: buildAction(route) }));
  });
}

export function buildVirtualHost(vh: VirtualHostIR): Json {
  return { name: vh.name, domains: vh.domains, routes: buildRoutes(vh.routes) };
}

export function buildRouteConfiguration(name: string, virtualHosts: VirtualHostIR[]): Json {
  return { '@type': RESOURCE_TYPES.routes, name, virtual_hosts: virtualHosts.map(buildVirtualHost) };
}

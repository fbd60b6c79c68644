import { PREVIOUS_HOSTS_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { RouteIR, VirtualHostIR } from '../ir/types';
import { buildMatch } from './build-route-match';
import { buildActionParts, buildDirectResponse, buildFilterConfigs, buildHeaderOps, buildRedirect, type RouteClient } from './build-route-parts';
import { hashPolicyFor } from './build-hash-policy';
import { GRPC_RETRY_ON } from '../clients/capabilities';

type Json = Record<string, unknown>;

/** retry_on as a client acts on it: gRPC's knows only gRFC A44's status names and logs every other value. */
function retryOnFor(retryOn: string, client: RouteClient): string {
  return client === 'grpc' ? retryOn.split(',').filter((v) => GRPC_RETRY_ON.has(v.trim())).join(',') : retryOn;
}

function buildAction(route: RouteIR, client: RouteClient): Json {
  const target =
    route.destinations.length === 1
      ? { cluster: route.destinations[0]!.cluster }
      : { weighted_clusters: { clusters: route.destinations.map((d) => ({ name: d.cluster, weight: d.weight, ...buildHeaderOps(d.headers) })) } };
  const retryOn = route.retry && retryOnFor(route.retry.retryOn, client);
  const retry = route.retry && retryOn && {
    retry_on: retryOn,
    num_retries: route.retry.attempts,
    ...(route.retry.retriableStatusCodes ? { retriable_status_codes: route.retry.retriableStatusCodes } : {}),
    ...(route.retry.perTryTimeout ? { per_try_timeout: route.retry.perTryTimeout } : {}),
    // Retry on another endpoint than the one that failed, as Istio does.
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': PREVIOUS_HOSTS_TYPE } }],
    host_selection_retry_max_attempts: '5',
  };
  return { ...target, timeout: route.timeout, ...(retry ? { retry_policy: retry } : {}), ...hashPolicyFor(route) };
}

/** What a matched request gets: a redirect, a direct response, or forwarding to clusters. */
function buildOutcome(route: RouteIR, client: RouteClient): Json {
  if (route.redirect) return { redirect: buildRedirect(route.redirect) };
  if (route.directResponse) return { direct_response: buildDirectResponse(route.directResponse) };
  return { route: { ...buildAction(route, client), ...buildActionParts(route, client) } };
}

/**
 * One Envoy route per match of a rule (a rule without match catches everything). gRPC's client
 * refuses routes that redirect or answer directly, and has no query string for query matches: those
 * are left out of its view.
 */
export function buildRoutes(routes: RouteIR[], client: RouteClient = 'envoy'): Json[] {
  return routes.flatMap((route) => {
    if (client === 'grpc' && (route.redirect || route.directResponse)) return [];
    const all = route.matches.length ? route.matches : [undefined];
    const matches = client === 'grpc' ? all.filter((m) => !m?.queryParams?.length) : all;
    return matches.map((m) => ({
      ...(route.name ? { name: route.name } : {}),
      match: buildMatch(m),
      ...buildOutcome(route, client),
      ...buildFilterConfigs(route, client),
      ...buildHeaderOps(route.headers),
    }));
  });
}

export function buildVirtualHost(vh: VirtualHostIR, client: RouteClient = 'envoy'): Json {
  return { name: vh.name, domains: vh.domains, routes: buildRoutes(vh.routes, client), ...(vh.requireTls ? { require_tls: 'ALL' } : {}) };
}

export function buildRouteConfiguration(name: string, virtualHosts: VirtualHostIR[], client: RouteClient = 'envoy'): Json {
  return { '@type': RESOURCE_TYPES.routes, name, virtual_hosts: virtualHosts.map((vh) => buildVirtualHost(vh, client)) };
}

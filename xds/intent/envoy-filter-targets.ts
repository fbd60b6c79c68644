import type { EnvoyConfigObjectPatch } from './envoy-filter-patch';

export type ApplyTo = EnvoyConfigObjectPatch['applyTo'];
export type Operation = EnvoyConfigObjectPatch['patch']['operation'];
export type MatchKey = 'cluster' | 'listener' | 'routeConfiguration';
/** Reports a problem at a path under the `configPatches[i]` entry. */
export type At = (path: (string | number)[], message: string) => void;

export const HCM_FILTER_NAME = 'envoy.filters.network.http_connection_manager';
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';
/** The terminal network filters this control plane renders: each ends its filter chain, as Envoy requires. */
export const TERMINAL_NETWORK_FILTERS = [HCM_FILTER_NAME, 'envoy.filters.network.tcp_proxy'];

/** Per target: the `match` key that selects it, the operations Istio applies to it, and what its value is. */
export const TARGETS: Record<ApplyTo, { key: MatchKey; operations: readonly Operation[]; noun: string; value: string }> = {
  CLUSTER: { key: 'cluster', operations: ['MERGE', 'ADD', 'REMOVE'], noun: 'cluster', value: 'cluster' },
  LISTENER: { key: 'listener', operations: ['MERGE', 'ADD', 'REMOVE'], noun: 'listener', value: 'listener' },
  LISTENER_FILTER: { key: 'listener', operations: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'], noun: 'listener filter', value: 'listener filter ({name, typed_config})' },
  NETWORK_FILTER: { key: 'listener', operations: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'], noun: 'network filter', value: 'network filter ({name, typed_config})' },
  HTTP_FILTER: { key: 'listener', operations: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'], noun: 'HTTP filter', value: 'HTTP filter ({name, typed_config})' },
  // Istio merges route configurations only.
  ROUTE_CONFIGURATION: { key: 'routeConfiguration', operations: ['MERGE'], noun: 'route configuration', value: 'route configuration' },
  VIRTUAL_HOST: { key: 'routeConfiguration', operations: ['MERGE', 'ADD', 'REMOVE'], noun: 'virtual host', value: 'virtual host' },
  HTTP_ROUTE: { key: 'routeConfiguration', operations: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'], noun: 'route', value: 'route' },
};

/** Filters inside a listener: a MERGE merges typed_config into the one matched by name. */
export const FILTER_TARGETS: readonly ApplyTo[] = ['LISTENER_FILTER', 'NETWORK_FILTER', 'HTTP_FILTER'];

/** The name a filter patch matches its filter by, with that field's path under `match`. */
export function filterMatchOf(cp: EnvoyConfigObjectPatch): { name: string | undefined; path: string[] } {
  const l = cp.match?.listener;
  if (cp.applyTo === 'LISTENER_FILTER') return { name: l?.listenerFilter || undefined, path: ['match', 'listener', 'listenerFilter'] };
  if (cp.applyTo === 'NETWORK_FILTER') return { name: l?.filterChain?.filter?.name, path: ['match', 'listener', 'filterChain', 'filter', 'name'] };
  return { name: l?.filterChain?.filter?.subFilter?.name, path: ['match', 'listener', 'filterChain', 'filter', 'subFilter', 'name'] };
}

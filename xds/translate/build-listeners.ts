import { corsFilter, faultFilter, HCM_TYPE, routerFilter, TCP_PROXY_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { Subscriber } from '../snapshot/types';
import { configSource } from './config-source';

type Json = Record<string, unknown>;

const socketAddress = (port: number) => ({ socket_address: { address: '0.0.0.0', port_value: port } });

// Always present, as in Istio, so a route gaining a fault or CORS policy needs no listener change.
// gRPC's client implements the fault filter but refuses CORS (a filter it does not know).
const ENVOY_FILTERS = () => [corsFilter(), faultFilter(), routerFilter()];
const GRPC_FILTERS = () => [faultFilter(), routerFilter()];

function httpConnectionManager(statPrefix: string, routeConfig: string, subscriber: Subscriber, httpFilters: Json[]): Json {
  return {
    '@type': HCM_TYPE,
    stat_prefix: statPrefix,
    rds: { config_source: configSource(subscriber), route_config_name: routeConfig },
    http_filters: httpFilters,
  };
}

/** A listener on 0.0.0.0:<port> whose HTTP routes come from RDS. */
export function buildHttpListener(name: string, port: number, routeConfig: string, subscriber: Subscriber, outbound: boolean): Json {
  return {
    '@type': RESOURCE_TYPES.listeners,
    name,
    address: socketAddress(port),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(name, routeConfig, subscriber, ENVOY_FILTERS()) }] }],
    ...(outbound ? { traffic_direction: 'OUTBOUND' } : {}),
  };
}

/** A listener on 0.0.0.0:<port> that proxies TCP to one cluster. */
export function buildTcpListener(name: string, port: number, cluster: string): Json {
  return {
    '@type': RESOURCE_TYPES.listeners,
    name,
    address: socketAddress(port),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE, stat_prefix: name, cluster } }] }],
    traffic_direction: 'OUTBOUND',
  };
}

/** An API listener for proxyless gRPC: no socket, just the HTTP connection manager. */
export function buildApiListener(name: string, routeConfig: string, subscriber: Subscriber): Json {
  return { '@type': RESOURCE_TYPES.listeners, name, api_listener: { api_listener: httpConnectionManager(name, routeConfig, subscriber, GRPC_FILTERS()) } };
}

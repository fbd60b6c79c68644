import { corsFilter, faultFilter, HCM_TYPE, routerFilter, TCP_PROXY_TYPE, TLS_INSPECTOR_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { MeshTlsChainIR, WeightedClusterIR } from '../ir/types';
import type { Subscriber } from '../ir/view-types';
import { configSource } from './config-source';

type Json = Record<string, unknown>;

export const socketAddress = (port: number) => ({ socket_address: { address: '0.0.0.0', port_value: port } });

// Always present, as in Istio, so a route gaining a fault or CORS policy needs no listener change.
// gRPC's client implements the fault filter but refuses CORS (a filter it does not know).
const ENVOY_FILTERS = () => [corsFilter(), faultFilter(), routerFilter()];
const GRPC_FILTERS = () => [faultFilter(), routerFilter()];

function httpConnectionManager(statPrefix: string, routeConfig: string, subscriber: Subscriber, httpFilters: Json[]): Json {
  return {
    '@type': HCM_TYPE,
    stat_prefix: statPrefix,
    rds: { config_source: configSource(subscriber, 'routes', routeConfig), route_config_name: routeConfig },
    http_filters: httpFilters,
  };
}

/** The HTTP connection manager filter of an Envoy listener (gateway HTTPS chains too). */
export const envoyHcmFilter = (statPrefix: string, routeConfig: string, subscriber: Subscriber): Json => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: httpConnectionManager(statPrefix, routeConfig, subscriber, ENVOY_FILTERS()),
});

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

/** A TCP proxy filter to one cluster, or split over weighted clusters. */
export function tcpProxyFilter(statPrefix: string, target: string | WeightedClusterIR[]): Json {
  const to = typeof target === 'string' ? [{ cluster: target, weight: 1 }] : target;
  const where = to.length === 1 ? { cluster: to[0]!.cluster } : { weighted_clusters: { clusters: to.map((d) => ({ name: d.cluster, weight: d.weight })) } };
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE, stat_prefix: statPrefix, ...where } };
}

/** A listener on 0.0.0.0:<port> that proxies TCP to one cluster (or weighted clusters: a VirtualService tcp route). */
export function buildTcpListener(name: string, port: number, target: string | WeightedClusterIR[]): Json {
  return {
    '@type': RESOURCE_TYPES.listeners,
    name,
    address: socketAddress(port),
    filter_chains: [{ filters: [tcpProxyFilter(name, target)] }],
    traffic_direction: 'OUTBOUND',
  };
}

/** The listener filter that reads a connection's SNI, so filter chains can match `server_names`. */
export const tlsInspector = () => ({ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TLS_INSPECTOR_TYPE } });

/** A mesh TLS port: TLS passed through to the chain whose SNI names match (the TLS inspector reads them). */
export function buildTlsListener(name: string, port: number, chains: MeshTlsChainIR[]): Json {
  return {
    '@type': RESOURCE_TYPES.listeners,
    name,
    address: socketAddress(port),
    ...(chains.some((c) => c.serverNames.length) ? { listener_filters: [tlsInspector()] } : {}),
    filter_chains: chains.map((c) => ({
      ...(c.serverNames.length ? { filter_chain_match: { server_names: c.serverNames } } : {}),
      filters: [tcpProxyFilter(name, c.route.destinations)],
    })),
    traffic_direction: 'OUTBOUND',
  };
}

/** An API listener for proxyless gRPC: no socket, just the HTTP connection manager. */
export function buildApiListener(name: string, routeConfig: string, subscriber: Subscriber): Json {
  return { '@type': RESOURCE_TYPES.listeners, name, api_listener: { api_listener: httpConnectionManager(name, routeConfig, subscriber, GRPC_FILTERS()) } };
}

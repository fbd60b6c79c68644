import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { GatewayFilterChainIR } from '../ir/types';
import type { Subscriber } from '../ir/view-types';
import { buildDownstreamTls } from './build-downstream-tls';
import { envoyHcmFilter, socketAddress, tcpProxyFilter, tlsInspector } from './build-listeners';

type Json = Record<string, unknown>;

function buildChain(listener: string, chain: GatewayFilterChainIR, subscriber: Subscriber): Json {
  const filter = chain.http ? envoyHcmFilter(listener, chain.http.routeConfig, subscriber) : tcpProxyFilter(listener, chain.tcp!.destinations);
  return {
    ...(chain.serverNames.length ? { filter_chain_match: { server_names: chain.serverNames } } : {}),
    filters: [filter],
    ...(chain.tls ? { transport_socket: buildDownstreamTls(chain.tls, subscriber) } : {}),
  };
}

/** A gateway's TLS or TCP port: filter chains by SNI (the TLS inspector reads it) terminating TLS or passing it through. */
export function buildGatewayChainListener(name: string, port: number, chains: GatewayFilterChainIR[], subscriber: Subscriber): Json {
  const bySni = chains.some((c) => c.serverNames.length > 0);
  return {
    '@type': RESOURCE_TYPES.listeners,
    name,
    address: socketAddress(port),
    ...(bySni ? { listener_filters: [tlsInspector()] } : {}),
    filter_chains: chains.map((c) => buildChain(name, c, subscriber)),
  };
}

import type { ClusterMatchIR, FilterChainMatchIR, ListenerMatchIR, RouteConfigurationMatchIR } from '../ir/envoy-filter';

type Json = Record<string, any>;

// Istio's EnvoyFilter matches on rendered proto3 JSON: an absent match field matches anything.

/** Istio's ParseSubsetKey: `dir|port|subset|host`, or the DNS SRV form `outbound_.port_.subset_.host`. */
function subsetKeyOf(name: string): { subset: string; host: string; port: number } {
  const sep = name.startsWith('outbound_.') || name.startsWith('inbound_.') ? '_.' : '|';
  const parts: string[] = [];
  let rest = name;
  while (parts.length < 3) {
    const i = rest.indexOf(sep);
    if (i === -1) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  const port = Number.parseInt(parts[1] ?? '', 10);
  return { port: Number.isNaN(port) ? 0 : port, subset: parts.length === 3 ? parts[2]! : '', host: parts.length === 3 ? rest : '' };
}

/** By name alone when the match names one, else by the service, subset and port the cluster name encodes. */
export function clusterMatches(name: string, m: ClusterMatchIR | undefined): boolean {
  if (!m) return true;
  if (m.name !== undefined) return m.name === name;
  const key = subsetKeyOf(name);
  return (m.subset === undefined || m.subset === key.subset) && (m.service === undefined || m.service === key.host) && (m.portNumber === undefined || m.portNumber === key.port);
}

export function listenerMatches(l: Json, m: ListenerMatchIR | undefined): boolean {
  if (!m) return true;
  return (m.name === undefined || m.name === l.name) && (m.portNumber === undefined || l.address?.socket_address?.port_value === m.portNumber);
}

export function filterChainMatches(fc: Json, m: FilterChainMatchIR | undefined): boolean {
  if (!m) return true;
  const fcm: Json = fc.filter_chain_match ?? {};
  if (m.name !== undefined && m.name !== fc.name) return false;
  if (m.sni !== undefined && !(fcm.server_names ?? []).includes(m.sni)) return false;
  if (m.transportProtocol !== undefined && fcm.transport_protocol !== m.transportProtocol) return false;
  if (m.applicationProtocols !== undefined && !m.applicationProtocols.split(',').every((p) => (fcm.application_protocols ?? []).includes(p))) return false;
  return m.destinationPort === undefined || fcm.destination_port === m.destinationPort;
}

/** The network filter a listener-class patch names (absent: every one). */
export const networkFilterName = (m: ListenerMatchIR | undefined) => m?.filterChain?.filter?.name;
/** The HTTP filter an HTTP_FILTER patch names (absent: every one). */
export const httpFilterName = (m: ListenerMatchIR | undefined) => m?.filterChain?.filter?.subFilter?.name;

export function routeConfigurationMatches(rc: Json, m: RouteConfigurationMatchIR | undefined): boolean {
  return m?.name === undefined || m.name === rc.name;
}

export function virtualHostMatches(vh: Json, m: RouteConfigurationMatchIR | undefined): boolean {
  const v = m?.vhost;
  if (!v) return true;
  return (v.name === undefined || v.name === vh.name) && (v.domainName === undefined || (vh.domains ?? []).includes(v.domainName));
}

/** Whether a patch names routes at all (Istio's hasRouteMatch: `vhost.route` is set, even empty). */
export const hasRouteMatch = (m: RouteConfigurationMatchIR | undefined) => m?.vhost?.route !== undefined;

export function routeMatches(r: Json, m: RouteConfigurationMatchIR | undefined): boolean {
  const match = m?.vhost?.route;
  if (!match) return true;
  if (match.name !== undefined && match.name !== r.name) return false;
  if (match.action === 'ANY') return true;
  // Istio compares the three actions it knows; a route with another action matches any.
  if ('route' in r) return match.action === 'ROUTE';
  if ('redirect' in r) return match.action === 'REDIRECT';
  if ('direct_response' in r) return match.action === 'DIRECT_RESPONSE';
  return true;
}

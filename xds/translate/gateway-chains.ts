import { gatewayHttpsRouteConfigName, sourceRef } from '../envoy/names';
import { portFamily, serverHostName, type Server } from '../intent/gateway';
import type { GatewayIntent, VirtualServiceIntent } from '../intent/kinds';
import { TLS_VERSIONS, type ServerTlsSettings } from '../intent/server-tls';
import type { DownstreamTlsIR, GatewayFilterChainIR, TcpRouteIR } from '../ir/types';
import { serverAdmits, serverAdmitsHost, serverVirtualHosts } from './gateway-hosts';
import type { RouteContext } from './route-context';
import { gatewayKey } from './match-gateways';
import { appliesOnPort, translateTcpRoute, translateTlsRoutes } from './l4-routes';

/** SNI names a chain matches: the server's hosts without namespaces; `*` among them matches any (empty). */
const sniNames = (hosts: string[]) => (hosts.some((h) => h === '*') ? [] : [...new Set(hosts)]);
const CATCH_ALL = '';

function downstreamTls(tls: ServerTlsSettings, mode: DownstreamTlsIR['mode'], https: boolean): DownstreamTlsIR {
  const pick = <K extends keyof ServerTlsSettings>(k: K) => (tls[k] !== undefined ? { [k]: tls[k] } : {});
  return {
    mode,
    ...pick('credentialName'),
    ...pick('serverCertificate'),
    ...pick('privateKey'),
    ...pick('caCertificates'),
    ...pick('subjectAltNames'),
    // Istio's default minimum for gateways.
    minProtocolVersion: TLS_VERSIONS[tls.minProtocolVersion ?? 'TLSV1_2'],
    ...(tls.maxProtocolVersion ? { maxProtocolVersion: TLS_VERSIONS[tls.maxProtocolVersion] } : {}),
    ...pick('cipherSuites'),
    ...(https ? { alpn: ['h2', 'http/1.1'] } : {}),
  } as DownstreamTlsIR;
}

/** The first tcp route of the VirtualServices bound to a server that applies on its port; later ones are reported. */
function serverTcpRoute(gw: GatewayIntent, server: Server, path: string, bound: VirtualServiceIntent[], ctx: RouteContext): TcpRouteIR | undefined {
  const port = server.port.number;
  let route: TcpRouteIR | undefined;
  for (const vs of bound.filter((v) => v.spec.tcp && v.spec.hosts.some((h) => serverAdmitsHost(gw, server, v, h)))) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    const found = translateTcpRoute(vs, source, port, undefined, ctx, gatewayKey(gw));
    if (!found) continue;
    if (route) ctx.diag.warn(source, found.path, `port ${port} of Gateway ${gw.metadata.namespace}/${gw.metadata.name} is already routed by ${route.source} ${route.path}; ignored there`);
    else route = found;
  }
  // A rule that applies but has a broken destination is an error already; only say when there is none.
  const anyRule = bound.some((v) => v.spec.tcp?.some((rule) => appliesOnPort(rule.match, port, gatewayKey(gw))) && v.spec.hosts.some((h) => serverAdmitsHost(gw, server, v, h)));
  if (!anyRule) ctx.diag.warn(sourceRef(gw.kind, gw.metadata.namespace, gw.metadata.name), path, `no VirtualService bound to this gateway has a tcp route for port ${port}: the port gets no listener`);
  return route;
}

/** Passthrough: a chain per tls route match, on the SNI hosts the server admits and no earlier chain of the port took. */
function passthroughChains(gw: GatewayIntent, server: Server, path: string, bound: VirtualServiceIntent[], taken: Set<string>, ctx: RouteContext): GatewayFilterChainIR[] {
  const port = server.port.number;
  const chains: GatewayFilterChainIR[] = [];
  for (const vs of bound) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    for (const { sniHosts, route } of translateTlsRoutes(vs, source, port, ctx, undefined, gatewayKey(gw))) {
      const admitted = sniHosts.filter((sni) => server.hosts.some((h) => serverAdmits(h, gw.metadata.namespace, vs.metadata.namespace, sni)));
      const names = sniNames(admitted);
      const keys = names.length ? names : admitted.length ? [CATCH_ALL] : [];
      const free = keys.filter((k) => !taken.has(k));
      for (const k of keys.filter((k) => taken.has(k))) ctx.diag.warn(source, `${route.path}.sniHosts`, `SNI ${k || '*'} on port ${port} of Gateway ${gw.metadata.namespace}/${gw.metadata.name} is already taken by another server or route; ignored here`);
      if (!free.length) continue;
      for (const k of free) taken.add(k);
      chains.push({ serverNames: free.filter((k) => k !== CATCH_ALL), tcp: route, source: route.source, path: route.path });
    }
  }
  const anyRule = bound.some((v) => v.spec.tls?.some((rule) => rule.match.some((m) => m.port === undefined || m.port === port)));
  if (!anyRule) ctx.diag.warn(sourceRef(gw.kind, gw.metadata.namespace, gw.metadata.name), path, `no VirtualService bound to this gateway has a tls route for its hosts on port ${port}: nothing passes through`);
  return chains;
}

/**
 * Filter chains of one TLS or TCP server: TCP → one chain to its tcp route; SIMPLE/MUTUAL/ISTIO_MUTUAL → one chain
 * on the server's SNI hosts, terminating TLS, then HTTP routes (HTTPS) or its tcp route (TLS);
 * PASSTHROUGH → a chain per VirtualService tls route. `existing` are the port's chains so far.
 */
export function translateServerChains(gw: GatewayIntent, server: Server, i: number, bound: VirtualServiceIntent[], existing: GatewayFilterChainIR[], ctx: RouteContext): GatewayFilterChainIR[] {
  const source = sourceRef(gw.kind, gw.metadata.namespace, gw.metadata.name);
  const path = `spec.servers[${i}]`;
  const { protocol, number: port, name: portName } = server.port;
  if (portFamily(protocol) === 'tcp') {
    const tcp = serverTcpRoute(gw, server, path, bound, ctx);
    return tcp ? [{ serverNames: [], tcp, source, path }] : [];
  }
  const taken = new Set(existing.flatMap((c) => (c.serverNames.length ? c.serverNames : [CATCH_ALL])));
  const mode = server.tls?.mode ?? 'PASSTHROUGH';
  if (mode === 'PASSTHROUGH') return passthroughChains(gw, server, path, bound, taken, ctx);
  // Rendered per view from its clusters (render/auto-passthrough); translateGateways records the server.
  if (mode === 'AUTO_PASSTHROUGH') return [];
  const serverNames = sniNames(server.hosts.map(serverHostName));
  const tls = downstreamTls(server.tls!, mode, protocol === 'HTTPS');
  if (mode === 'ISTIO_MUTUAL') ctx.diag.warn(source, `${path}.tls.mode`, "ISTIO_MUTUAL takes the gateway's workload certificate (SDS default) and root CA (SDS ROOTCA) from a static cluster sds-grpc its bootstrap must define, reaching an SDS provider such as istio-agent or SPIRE; a gateway without it rejects this listener");
  if (protocol === 'HTTPS') {
    const routeConfig = gatewayHttpsRouteConfigName(port, portName, gw.metadata.name, gw.metadata.namespace);
    const virtualHosts = serverVirtualHosts(gw, server, bound, new Map(), ctx).sort((a, b) => (a.name < b.name ? -1 : 1));
    return [{ serverNames, tls, http: { routeConfig, virtualHosts }, source, path }];
  }
  const tcp = serverTcpRoute(gw, server, path, bound, ctx);
  return tcp ? [{ serverNames, tls, tcp, source, path }] : [];
}

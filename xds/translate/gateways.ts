import { gatewayRouteConfigName, sourceRef, virtualHostDomains, virtualHostName } from '../envoy/names';
import { portFamily, serverHostName, type Server } from '../intent/gateway';
import type { GatewayIntent, VirtualServiceIntent } from '../intent/kinds';
import type { AutoPassthroughIR, GatewayChainPortIR, GatewayFilterChainIR, GatewayIR, GatewayServerPortIR, VirtualHostIR } from '../ir/types';
import { translateServerChains } from './gateway-chains';
import { serverVirtualHosts } from './gateway-hosts';
import { gatewayKey } from './match-gateways';
import type { RouteContext } from './route-context';

/** `namespace/name` keys of the gateways a VirtualService binds to (`mesh` excluded). */
export function boundGateways(vs: VirtualServiceIntent): string[] {
  return (vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => (g.includes('/') ? g : `${vs.metadata.namespace}/${g}`));
}

/**
 * httpsRedirect (Istio): the server's virtual hosts require TLS, and a server host no VirtualService
 * routes still gets one, so every plain HTTP request to it is redirected to https.
 */
function redirectToHttps(server: Server, hosts: VirtualHostIR[], claimed: Map<string, string>, source: string): VirtualHostIR[] {
  const port = server.port.number;
  for (const vh of hosts) vh.requireTls = true;
  const extra: VirtualHostIR[] = [];
  for (const host of new Set(server.hosts.map(serverHostName))) {
    const name = virtualHostName(host, port);
    if (claimed.has(name)) continue;
    claimed.set(name, source);
    extra.push({ name, domains: host === '*' ? ['*'] : virtualHostDomains(host, port), routes: [], requireTls: true });
  }
  return [...hosts, ...extra];
}

export function translateGateways(gateways: GatewayIntent[], virtualServices: VirtualServiceIntent[], ctx: RouteContext): GatewayIR[] {
  const result: GatewayIR[] = [];
  for (const gw of gateways) {
    const key = gatewayKey(gw);
    const source = sourceRef(gw.kind, gw.metadata.namespace, gw.metadata.name);
    const bound = virtualServices.filter((vs) => boundGateways(vs).includes(key));
    const byPort = new Map<number, VirtualHostIR[]>();
    const chainsByPort = new Map<number, GatewayFilterChainIR[]>();
    const claimed = new Map<string, string>();
    const autoByPort = new Map<number, AutoPassthroughIR[]>();
    // Passthrough servers last, so terminating servers' SNI hosts take precedence over tls routes' (see gateway-chains).
    const passthrough = (s: Server) => portFamily(s.port.protocol) === 'tls' && (s.tls?.mode ?? 'PASSTHROUGH') === 'PASSTHROUGH';
    const order = gw.spec.servers.map((server, i) => ({ server, i })).sort((a, b) => Number(passthrough(a.server)) - Number(passthrough(b.server)));
    for (const { server, i } of order) {
      const port = server.port.number;
      if (server.tls?.mode === 'AUTO_PASSTHROUGH') {
        if (!autoByPort.has(port)) autoByPort.set(port, []);
        autoByPort.get(port)!.push({ hosts: server.hosts.map(serverHostName), source, path: `spec.servers[${i}]` });
        continue;
      }
      if (portFamily(server.port.protocol) !== 'http') {
        if (!chainsByPort.has(port)) chainsByPort.set(port, []);
        const chains = chainsByPort.get(port)!;
        chains.push(...translateServerChains(gw, server, i, bound, chains, ctx));
        continue;
      }
      if (!byPort.has(port)) byPort.set(port, []);
      const hosts = serverVirtualHosts(gw, server, bound, claimed, ctx);
      byPort.get(port)!.push(...(server.tls?.httpsRedirect ? redirectToHttps(server, hosts, claimed, source) : hosts));
    }
    const ports: GatewayServerPortIR[] = [...byPort]
      .sort(([a], [b]) => a - b)
      .map(([port, virtualHosts]) => ({ port, routeConfig: gatewayRouteConfigName(port), virtualHosts: virtualHosts.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
    for (const port of autoByPort.keys()) if (!chainsByPort.has(port)) chainsByPort.set(port, []);
    const chainPorts: GatewayChainPortIR[] = [...chainsByPort]
      .filter(([port, chains]) => chains.length > 0 || autoByPort.has(port))
      .sort(([a], [b]) => a - b)
      .map(([port, chains]) => ({ port, chains, ...(autoByPort.has(port) ? { autoPassthrough: autoByPort.get(port)! } : {}) }));
    const namesCredential = gw.spec.servers.some((s) => s.tls?.credentialName);
    result.push({ key, selector: gw.spec.selector, ports, ...(chainPorts.length ? { chainPorts } : {}), ...(namesCredential ? { secretsFromProxyNamespace: true as const } : {}) });
  }
  return result.sort((a, b) => (a.key < b.key ? -1 : 1));
}

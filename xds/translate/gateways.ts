import { gatewayRouteConfigName, sourceRef, virtualHostName } from '../envoy/names';
import type { GatewayIntent, VirtualServiceIntent } from '../intent/kinds';
import type { GatewayIR, GatewayServerPortIR, VirtualHostIR } from '../ir/types';
import { hostMatches } from './hosts';
import { translateHttpRoutes, type RouteContext } from './http-routes';

/** `namespace/name` keys of the gateways a VirtualService binds to (`mesh` excluded). */
export function boundGateways(vs: VirtualServiceIntent): string[] {
  return (vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => (g.includes('/') ? g : `${vs.metadata.namespace}/${g}`));
}

/** A server host (`host`, `ns/host`, `*\/host`, `./host`) admits a VirtualService host from namespace `vsNamespace`. */
function serverAdmits(serverHost: string, gatewayNamespace: string, vsNamespace: string, vsHost: string): boolean {
  const slash = serverHost.indexOf('/');
  const ns = slash === -1 ? '*' : serverHost.slice(0, slash);
  const host = slash === -1 ? serverHost : serverHost.slice(slash + 1);
  const nsOk = ns === '*' || (ns === '.' ? vsNamespace === gatewayNamespace : ns === vsNamespace);
  return nsOk && hostMatches(host, vsHost);
}

export function translateGateways(gateways: GatewayIntent[], virtualServices: VirtualServiceIntent[], ctx: RouteContext): GatewayIR[] {
  const result: GatewayIR[] = [];
  for (const gw of gateways) {
    const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
    const bound = virtualServices.filter((vs) => boundGateways(vs).includes(key));
    const byPort = new Map<number, VirtualHostIR[]>();
    const claimed = new Map<string, string>();
    gw.spec.servers.forEach((server) => {
      const port = server.port.number;
      if (!byPort.has(port)) byPort.set(port, []);
      for (const vs of bound) {
        const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
        vs.spec.hosts.forEach((host, i) => {
          if (!server.hosts.some((h) => serverAdmits(h, gw.metadata.namespace, vs.metadata.namespace, host))) return;
          const name = virtualHostName(host, port);
          const owner = claimed.get(name);
          if (owner !== undefined) {
            if (owner !== source) ctx.diag.warn(source, `spec.hosts[${i}]`, `host ${host} on gateway ${key} port ${port} is already routed by ${owner}; ignored here`);
            return;
          }
          claimed.set(name, source);
          byPort.get(port)!.push({ name, domains: [host, `${host}:${port}`], routes: translateHttpRoutes(vs, source, undefined, ctx) });
        });
      }
    });
    const ports: GatewayServerPortIR[] = [...byPort]
      .sort(([a], [b]) => a - b)
      .map(([port, virtualHosts]) => ({ port, routeConfig: gatewayRouteConfigName(port), virtualHosts: virtualHosts.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
    result.push({ key, selector: gw.spec.selector, ports });
  }
  return result.sort((a, b) => (a.key < b.key ? -1 : 1));
}

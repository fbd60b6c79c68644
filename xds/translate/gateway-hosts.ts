import { sourceRef, virtualHostDomains, virtualHostName } from '../envoy/names';
import type { GatewayIntent, VirtualServiceIntent } from '../intent/kinds';
import type { Server } from '../intent/gateway';
import type { VirtualHostIR } from '../ir/types';
import { hostMatches } from './hosts';
import { translateHttpRoutes } from './http-routes';
import { gatewayKey } from './match-gateways';
import type { RouteContext } from './route-context';

/** A server host (`host`, `ns/host`, `*\/host`, `./host`) admits a VirtualService host from namespace `vsNamespace`. */
export function serverAdmits(serverHost: string, gatewayNamespace: string, vsNamespace: string, vsHost: string): boolean {
  const slash = serverHost.indexOf('/');
  const ns = slash === -1 ? '*' : serverHost.slice(0, slash);
  const host = slash === -1 ? serverHost : serverHost.slice(slash + 1);
  const nsOk = ns === '*' || (ns === '.' ? vsNamespace === gatewayNamespace : ns === vsNamespace);
  return nsOk && hostMatches(host, vsHost);
}

/** Some host of `server` admits `host` of `vs`. */
export const serverAdmitsHost = (gw: GatewayIntent, server: Server, vs: VirtualServiceIntent, host: string) =>
  server.hosts.some((h) => serverAdmits(h, gw.metadata.namespace, vs.metadata.namespace, host));

/**
 * The virtual hosts a server gets from the VirtualServices bound to its gateway: one per admitted
 * host, the first VirtualService to claim a name (in `claimed`, shared by one route config) wins.
 */
export function serverVirtualHosts(gw: GatewayIntent, server: Server, bound: VirtualServiceIntent[], claimed: Map<string, string>, ctx: RouteContext): VirtualHostIR[] {
  const key = gatewayKey(gw);
  const port = server.port.number;
  const out: VirtualHostIR[] = [];
  for (const vs of bound) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    vs.spec.hosts.forEach((host, i) => {
      if (!serverAdmitsHost(gw, server, vs, host)) return;
      const name = virtualHostName(host, port);
      const owner = claimed.get(name);
      if (owner !== undefined) {
        if (owner !== source) ctx.diag.warn(source, `spec.hosts[${i}]`, `host ${host} on gateway ${key} port ${port} is already routed by ${owner}; ignored here`);
        return;
      }
      claimed.set(name, source);
      out.push({ name, domains: virtualHostDomains(host, port), routes: translateHttpRoutes(vs, source, undefined, ctx, key) });
    });
  }
  return out;
}

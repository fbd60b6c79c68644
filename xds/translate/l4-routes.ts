import type { VirtualServiceIntent } from '../intent/kinds';
import type { RouteDestination } from '../intent/l4-routes';
import type { TcpRouteIR, WeightedClusterIR } from '../ir/types';
import type { RouteContext } from './route-context';
import { hostMatches, isTlsProtocol } from './hosts';
import { matchAppliesAt } from './match-gateways';
import { resolveDestination } from './resolve-destination';

/** Does a tcp/tls rule apply on listener `port` (at `at`, see matchAppliesAt): no match, or some match without a port or with this one. */
export const appliesOnPort = (match: { port?: number | undefined; gateways?: string[] | undefined }[] | undefined, port: number, at?: string) =>
  !match?.length || match.some((m) => (m.port === undefined || m.port === port) && matchAppliesAt(m, at));

/** Weighted destinations → clusters (weights relative, zero weights left out, as for http); undefined after reporting a broken one. */
export function translateL4Destinations(dests: RouteDestination[], path: string, source: string, contextPort: number | undefined | 'any', ctx: RouteContext): WeightedClusterIR[] | undefined {
  const clusters = dests.map((d, j) => resolveDestination(d.destination, `${path}.route[${j}].destination`, source, contextPort, ctx));
  if (clusters.some((c) => c === undefined)) return undefined;
  const single = dests.length === 1;
  return dests.map((d, j) => ({ cluster: clusters[j]!, weight: single ? 1 : (d.weight ?? 0) })).filter((d) => d.weight > 0);
}

/**
 * The first tcp rule of `vs` that applies on listener `port`, resolved with `contextPort` (the mesh
 * port; undefined at a gateway, whose port is not the service's). Istio uses the first that matches.
 */
export function translateTcpRoute(vs: VirtualServiceIntent, source: string, port: number, contextPort: number | undefined, ctx: RouteContext, at?: string): TcpRouteIR | undefined {
  const i = (vs.spec.tcp ?? []).findIndex((rule) => appliesOnPort(rule.match, port, at));
  if (i === -1) return undefined;
  const path = `spec.tcp[${i}]`;
  const destinations = translateL4Destinations(vs.spec.tcp![i]!.route, path, source, contextPort, ctx);
  return destinations && { destinations, source, path };
}

/** Each tls rule match applying on listener `port`: its SNI hosts and where they go (`contextPort` as for translateTcpRoute). */
export function translateTlsRoutes(vs: VirtualServiceIntent, source: string, port: number, ctx: RouteContext, contextPort: number | undefined, at: string): { sniHosts: string[]; route: TcpRouteIR }[] {
  const out: { sniHosts: string[]; route: TcpRouteIR }[] = [];
  (vs.spec.tls ?? []).forEach((rule, i) => {
    const destinations = translateL4Destinations(rule.route, `spec.tls[${i}]`, source, contextPort, ctx);
    if (!destinations) return;
    rule.match.forEach((m, j) => {
      if ((m.port === undefined || m.port === port) && matchAppliesAt(m, at)) out.push({ sniHosts: m.sniHosts, route: { destinations, source, path: `spec.tls[${i}].match[${j}]` } });
    });
  });
  return out;
}

/** What holds for tcp and tls rules on any port (a VirtualService no listener uses is checked too). */
export function checkL4Routes(vs: VirtualServiceIntent, source: string, meshBound: boolean, ctx: RouteContext): void {
  vs.spec.tcp?.forEach((rule, i) => translateL4Destinations(rule.route, `spec.tcp[${i}]`, source, 'any', ctx));
  vs.spec.tls?.forEach((rule, i) => translateL4Destinations(rule.route, `spec.tls[${i}]`, source, 'any', ctx));
  if (meshBound) checkMeshTlsPorts(vs, source, ctx);
}

/** A mesh tls match applies on the TLS and HTTPS ports of the VirtualService's hosts; one that names none of them applies nowhere. */
function checkMeshTlsPorts(vs: VirtualServiceIntent, source: string, ctx: RouteContext): void {
  // Only VirtualServices with tls rules pay for the scan of services.
  if (!vs.spec.tls) return;
  const hosts = [...ctx.services.values()].filter((s) => vs.spec.hosts.some((h) => hostMatches(h, s.host)));
  // Hosts no ServiceEntry declares are reported already.
  if (!hosts.length) return;
  const ports = [...new Set(hosts.flatMap((s) => s.ports.filter((p) => isTlsProtocol(p.protocol)).map((p) => p.number)))].sort((a, b) => a - b);
  const known = ports.length ? `its hosts' TLS and HTTPS ports: ${ports.join(', ')}` : 'its hosts have no TLS or HTTPS port';
  vs.spec.tls.forEach((rule, i) =>
    rule.match.forEach((m, j) => {
      if (m.port === undefined ? ports.length : ports.includes(m.port)) return;
      const what = m.port === undefined ? 'this match' : `port ${m.port}`;
      ctx.diag.warn(source, `spec.tls[${i}].match[${j}]${m.port === undefined ? '' : '.port'}`, `${what} applies at no mesh listener (${known})`);
    }),
  );
}

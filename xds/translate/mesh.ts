import { clusterName, grpcListenerName, meshRouteConfigName, sourceRef, virtualHostDomains, virtualHostName } from '../envoy/names';
import type { VirtualServiceIntent } from '../intent/kinds';
import type { ClusterIR, GrpcTargetIR, MeshPortIR, RouteIR, ServiceIR, TcpRouteIR, VirtualHostIR } from '../ir/types';
import { hostMatches, isHttpProtocol, isTlsProtocol } from './hosts';
import { translateHttpRoutes } from './http-routes';
import type { RouteContext } from './route-context';
import { translateTcpRoute } from './l4-routes';
import { MESH_GATEWAY } from './match-gateways';
import { usesOriginalDestination } from '../ir/original-destination';
import { translateMeshTlsChains } from './mesh-tls';

/** VirtualServices that apply to sidecars and proxyless clients (no `gateways`, or `mesh` among them). */
export const isMeshBound = (vs: VirtualServiceIntent) => !vs.spec.gateways?.length || vs.spec.gateways.includes('mesh');

/**
 * The mesh VirtualServices that may claim a host, in their order: those naming it exactly and those
 * with a wildcard host. Built once per translation so finding a host's VirtualService is not a scan
 * of every VirtualService (which made translation quadratic in the mesh).
 */
export type VirtualServiceLookup = (host: string) => VirtualServiceIntent[];

export function virtualServiceLookup(meshServices: VirtualServiceIntent[]): VirtualServiceLookup {
  const exact = new Map<string, number[]>();
  const wildcard: number[] = [];
  meshServices.forEach((vs, i) => {
    for (const h of new Set(vs.spec.hosts)) {
      if (h.startsWith('*')) wildcard.push(i);
      else (exact.get(h) ?? exact.set(h, []).get(h)!).push(i);
    }
  });
  return (host) => {
    // A wildcard service host can be claimed by any pattern it covers: the rare case, scanned.
    const candidates = host.startsWith('*') ? meshServices.map((_, i) => i) : [...new Set([...(exact.get(host) ?? []), ...wildcard])].sort((a, b) => a - b);
    return candidates.map((i) => meshServices[i]!).filter((vs) => vs.spec.hosts.some((h) => hostMatches(h, host)));
  };
}

/** The first mesh VirtualService (by namespace/name) claiming a host; later ones are reported. */
function virtualServiceFor(host: string, lookup: VirtualServiceLookup, ctx: RouteContext): VirtualServiceIntent | undefined {
  const claiming = lookup(host);
  for (const other of claiming.slice(1)) {
    ctx.diag.warn(sourceRef(other.kind, other.metadata.namespace, other.metadata.name), 'spec.hosts', `host ${host} is already routed by VirtualService ${claiming[0]!.metadata.namespace}/${claiming[0]!.metadata.name}; this one is ignored for it`);
  }
  return claiming[0];
}

function routesFor(svc: ServiceIR, port: number, lookup: VirtualServiceLookup, ctx: RouteContext): RouteIR[] {
  const vs = virtualServiceFor(svc.host, lookup, ctx);
  // A VirtualService with only tcp or tls routes leaves HTTP ports to the default route.
  if (vs?.spec.http) return translateHttpRoutes(vs, sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name), port, ctx, MESH_GATEWAY);
  // No VirtualService: everything to the whole service, with Istio's default retries.
  return [{ matches: [], destinations: [{ cluster: clusterName(port, '', svc.host), weight: 1 }], timeout: '0s', retry: { attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes' }, source: svc.source, path: 'spec' }];
}

/** A mesh VirtualService's tcp rule for a TCP port of `svc`, when it has one that applies there. */
function tcpRouteFor(svc: ServiceIR, port: number, lookup: VirtualServiceLookup, ctx: RouteContext): TcpRouteIR | undefined {
  const vs = virtualServiceFor(svc.host, lookup, ctx);
  return vs && translateTcpRoute(vs, sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name), port, port, ctx, MESH_GATEWAY);
}

/** Sidecar outbound ports: per port number, HTTP virtual hosts, one TCP proxy, or TLS chains by SNI. */
export function translateMeshPorts(services: Map<string, ServiceIR>, lookup: VirtualServiceLookup, ctx: RouteContext): MeshPortIR[] {
  const byPort = new Map<number, { svc: ServiceIR; http: boolean; tls: boolean }[]>();
  for (const svc of services.values()) {
    for (const p of svc.ports) {
      if (!byPort.has(p.number)) byPort.set(p.number, []);
      byPort.get(p.number)!.push({ svc, http: isHttpProtocol(p.protocol), tls: isTlsProtocol(p.protocol) });
    }
  }
  const ports: MeshPortIR[] = [];
  for (const [port, users] of [...byPort].sort(([a], [b]) => a - b)) {
    const http = users.filter((u) => u.http);
    const tcp = users.filter((u) => !u.http);
    if (http.length) {
      const virtualHosts = http
        .map(({ svc }): VirtualHostIR => ({ name: virtualHostName(svc.host, port), domains: virtualHostDomains(svc.host, port), routes: routesFor(svc, port, lookup, ctx) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      ports.push({ port, kind: 'http', routeConfig: meshRouteConfigName(port), virtualHosts });
    }
    const tls = tcp.filter((u) => u.tls);
    if (tls.length && !http.length) {
      const chains = translateMeshTlsChains(port, tls.map((u) => u.svc), (svc) => virtualServiceFor(svc.host, lookup, ctx), ctx);
      if (chains.length) ports.push({ port, kind: 'tls', chains });
      for (const { svc } of tcp.filter((u) => !u.tls)) {
        ctx.diag.warn(svc.source, 'spec.ports', `no sidecar listener for TCP port ${port} of ${svc.host}: port ${port} carries TLS routed by SNI, and plain TCP cannot be told apart without addresses`);
      }
    } else if (tcp.length === 1 && !http.length) {
      const route = tcpRouteFor(tcp[0]!.svc, port, lookup, ctx);
      ports.push({ port, kind: 'tcp', cluster: clusterName(port, '', tcp[0]!.svc.host), ...(route ? { route } : {}) });
    } else if (tcp.length) {
      for (const { svc } of tcp) {
        ctx.diag.warn(svc.source, 'spec.ports', `no sidecar listener for TCP port ${port} of ${svc.host}: port ${port} is shared with other services, and TCP cannot be told apart without addresses`);
      }
    }
  }
  return ports;
}

/** Proxyless gRPC targets: `<host>:<port>` for every HTTP-ish port, and `<host>` when the host has one port. */
export function translateGrpcTargets(services: Map<string, ServiceIR>, lookup: VirtualServiceLookup, ctx: RouteContext, clusters: ClusterIR[]): GrpcTargetIR[] {
  const targets: GrpcTargetIR[] = [];
  // Original-destination clusters have no endpoints to resolve: a proxyless client cannot use them.
  const originalDst = new Set(clusters.filter(usesOriginalDestination).map((c) => c.name));
  const original = (cluster: string) => originalDst.has(cluster);
  for (const svc of services.values()) {
    if (svc.resolution === 'NONE') continue;
    for (const p of svc.ports.filter((p) => isHttpProtocol(p.protocol))) {
      const names = [grpcListenerName(svc.host, p.number), ...(svc.ports.length === 1 ? [grpcListenerName(svc.host)] : [])];
      const routes = routesFor(svc, p.number, lookup, ctx).filter((r) => {
        const to = [...r.destinations.map((d) => d.cluster), ...(r.mirrors ?? []).map((m) => m.cluster)].find(original);
        if (to) ctx.diag.warn(r.source, r.path, `proxyless gRPC clients cannot use ${to} (an original-destination cluster: resolution NONE or PASSTHROUGH, no endpoints of its own): this rule is left out of their view`);
        return !to;
      });
      for (const listener of names) {
        // The client matches the target's authority (host, or host:port) against these domains.
        targets.push({ listener, routeConfig: listener, virtualHost: { name: virtualHostName(svc.host, p.number), domains: [svc.host, `${svc.host}:${p.number}`], routes } });
      }
    }
  }
  return targets.sort((a, b) => (a.listener < b.listener ? -1 : 1));
}

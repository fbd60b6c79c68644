import { gatewayListenerName, gatewayRouteConfigName, meshListenerName } from '../envoy/names';
import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import type { GatewayServerPortIR, MeshIR, VirtualHostIR } from '../ir/types';
import { buildCluster } from './build-clusters';
import { buildClusterLoadAssignment } from './build-endpoints';
import { buildApiListener, buildHttpListener, buildTcpListener, buildTlsListener } from './build-listeners';
import { buildGatewayChainListener } from './build-gateway-listeners';
import { buildRouteConfiguration as buildRoutes } from './build-routes';
import { autoPassthroughParts } from './auto-passthrough';
import { mergeGatewayChainPorts } from './gateway-chain-ports';
import { hashContent } from './hash';
import { applyEnvoyFilters } from './patch';
import type { RenderedResource, RenderedType, RenderedView } from './types';
import type { Subscriber, View } from '../ir/view-types';
import { routesForSources } from './source-routes';
import { scopeOf, viewKey } from '../ir/view';
import { usesOriginalDestination } from '../ir/original-destination';
import { sidecarScope } from '../ir/sidecar-scope';

type Json = Record<string, unknown>;

function renderedType(resources: Json[], nameOf: (r: Json) => string): RenderedType {
  const map = new Map<string, RenderedResource>();
  for (const json of resources) {
    const name = nameOf(json);
    map.set(name, { name, json, hash: hashContent(JSON.stringify(json)) });
  }
  const sorted = new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { version: versionOf(sorted.values()), resources: sorted };
}

/** The version of a set of resources: a hash over their names and content hashes. */
export function versionOf(resources: Iterable<RenderedResource | undefined>, names?: string[]): string {
  const parts: string[] = [];
  if (names) for (const [i, r] of [...resources].entries()) parts.push(`${names[i]}=${r?.hash ?? '-'}`);
  else for (const r of resources) parts.push(`${r!.name}=${r!.hash}`);
  return hashContent(parts.join('\n'));
}

/** A Gateway proxy matching several Gateways gets their servers merged by port (first host wins). */
function mergeGatewayPorts(ir: MeshIR, keys: string[]): GatewayServerPortIR[] {
  const byPort = new Map<number, Map<string, VirtualHostIR>>();
  for (const gw of ir.gateways.filter((g) => keys.includes(g.key))) {
    for (const p of gw.ports) {
      if (!byPort.has(p.port)) byPort.set(p.port, new Map());
      const hosts = byPort.get(p.port)!;
      for (const vh of p.virtualHosts) if (!hosts.has(vh.name)) hosts.set(vh.name, vh);
    }
  }
  return [...byPort]
    .sort(([a], [b]) => a - b)
    .map(([port, hosts]) => ({ port, routeConfig: gatewayRouteConfigName(port), virtualHosts: [...hosts.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) }));
}

/** Everything one view receives, rendered for one kind of subscriber. Pure and deterministic. */
export function renderView(full: MeshIR, view: View, subscriber: Subscriber): RenderedView {
  // exportTo: a namespace set apart renders from its own IR; a Sidecar narrows it to what its proxies may call.
  const scoped = scopeOf(full, view);
  const ir = (view.sidecar && sidecarScope(scoped, view.sidecar, view.namespace)?.ir) || scoped;
  const buildRouteConfiguration = (name: string, virtualHosts: VirtualHostIR[], kind?: 'grpc' | 'envoy') =>
    buildRoutes(name, ir.sourceSelectors ? routesForSources(virtualHosts, view) : virtualHosts, kind);
  const auto = view.gateways.length ? autoPassthroughParts(ir, view.gateways) : undefined;
  const clusterIRs = auto?.clusters.length ? [...ir.clusters, ...auto.clusters] : ir.clusters;
  // Proxyless gRPC clients take no ORIGINAL_DST clusters (their routes are left out too: translateGrpcTargets).
  const clusters = clusterIRs.filter((c) => view.client !== 'grpc' || !usesOriginalDestination(c)).map((c) => buildCluster(c, view, subscriber));
  // REST pollers get endpoints inside their clusters (see buildCluster): no EDS resources for them.
  const endpoints = subscriber.mode === 'rest' ? [] : clusterIRs.filter((c) => c.resolution === 'STATIC' && !usesOriginalDestination(c)).map((c) => buildClusterLoadAssignment(c, view));
  const listeners: Json[] = [];
  const routes: Json[] = [];
  if (view.client === 'grpc') {
    for (const t of ir.grpcTargets) {
      listeners.push(buildApiListener(t.listener, t.routeConfig, subscriber));
      routes.push(buildRouteConfiguration(t.routeConfig, [t.virtualHost], 'grpc'));
    }
  } else if (view.gateways.length) {
    const httpPorts = mergeGatewayPorts(ir, view.gateways);
    for (const p of httpPorts) {
      listeners.push(buildHttpListener(gatewayListenerName(p.port), p.port, p.routeConfig, subscriber, false));
      routes.push(buildRouteConfiguration(p.routeConfig, p.virtualHosts));
    }
    for (const p of mergeGatewayChainPorts(ir, view.gateways, new Set(httpPorts.map((h) => h.port)), auto?.chainsByGateway)) {
      listeners.push(buildGatewayChainListener(gatewayListenerName(p.port), p.port, p.chains, subscriber));
      for (const c of p.chains) if (c.http) routes.push(buildRouteConfiguration(c.http.routeConfig, c.http.virtualHosts));
    }
  } else {
    for (const p of ir.meshPorts) {
      const name = meshListenerName(p.port);
      if (p.kind === 'tcp') listeners.push(buildTcpListener(name, p.port, p.route?.destinations ?? p.cluster));
      else if (p.kind === 'tls') listeners.push(buildTlsListener(name, p.port, p.chains));
      else {
        listeners.push(buildHttpListener(name, p.port, p.routeConfig, subscriber, true));
        routes.push(buildRouteConfiguration(p.routeConfig, p.virtualHosts));
      }
    }
  }
  // EnvoyFilters are the last stage: they patch what was rendered.
  const patched = applyEnvoyFilters({ clusters, endpoints, listeners, routes }, ir, view);
  const byName = (r: Json) => r.name as string;
  const types: Record<ResourceType, RenderedType> = {
    clusters: renderedType(patched.clusters, byName),
    endpoints: renderedType(patched.endpoints, (r) => r.cluster_name as string),
    listeners: renderedType(patched.listeners, byName),
    routes: renderedType(patched.routes, byName),
  };
  return { view: viewKey(view), types };
}

/** The version a subscriber sees: the whole type for wildcard (CDS/LDS) requests, only the named resources otherwise. */
export function versionFor(snapshot: RenderedView, type: ResourceType, names?: string[]): string {
  const t = snapshot.types[type];
  if (!names?.length) return t.version;
  const sorted = [...new Set(names)].sort();
  return versionOf(sorted.map((n) => t.resources.get(n)), sorted);
}

export { RESOURCE_TYPES };

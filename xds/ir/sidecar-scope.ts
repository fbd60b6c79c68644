import { previewName, virtualHostName } from '../envoy/names';
import type { RouteIR, VirtualHostIR } from './routes';
import { sidecarAllowsHost } from './sidecar-hosts';
import { configNamespaceOf } from './sidecar-select';
import type { SidecarIR } from './sidecar';
import type { MeshIR } from './types';

/*
 * What a Sidecar's proxies receive, as Istio builds a sidecar scope (istio/istio pilot/pkg/model/sidecar.go
 * collectImportedServices; pilot/pkg/networking/core/httproute.go BuildSidecarOutboundVirtualHosts and
 * the catch-all virtual host; grpcgen/lds.go buildOutboundListeners):
 * - listeners, virtual hosts and proxyless gRPC targets only for the hosts the egress imports, each port
 *   from the listener for that port (see sidecar-hosts.ts);
 * - clusters for those hosts' ports, plus the destinations of the VirtualServices routing them: Istio adds
 *   every destination of an imported VirtualService to the scope's services (clusters, not virtual hosts);
 * - with outboundTrafficPolicy REGISTRY_ONLY, each outbound route configuration ends in Istio's `block_all`
 *   virtual host (domain `*`, a 502 direct response), so a request for a host it lacks is refused, not
 *   left to Envoy's 404. (ALLOW_ANY's `allow_any` virtual host to PassthroughCluster is refused when written.)
 */

/** Istio's name for the virtual host (and its route) that refuses unknown hosts under REGISTRY_ONLY. */
export const BLOCK_ALL = 'block_all';

/** What decides whether a resource is in a Sidecar view: the predicate incremental publishing shares with the renderer. */
export interface SidecarScope {
  sidecar: SidecarIR;
  /**
   * Whether the Sidecar's egress imports `host`, declared by a ServiceEntry of `hostNamespace`: on `port`
   * through the egress listener for that port (else the catch-all), on any listener without a port.
   * Decides listeners, virtual hosts (previews too) and gRPC targets.
   */
  allowsHost(host: string, hostNamespace: string, port?: number): boolean;
  /** Whether a cluster (and its endpoints) is in the view: an allowed host's port, or a destination an in-scope route reaches. */
  allowsCluster(name: string): boolean;
  /** The IR the view renders from: narrowed to the scope, with `block_all` under REGISTRY_ONLY. */
  ir: MeshIR;
}

/** Virtual host (and gRPC target virtual host) names → the host and port they route: base and preview names. */
function ownersOf(ir: MeshIR): Map<string, { host: string; port: number }> {
  const owners = new Map<string, { host: string; port: number }>();
  for (const c of ir.clusters) {
    const base = virtualHostName(c.host, c.port);
    owners.set(base, { host: c.host, port: c.port });
    if (c.subset) owners.set(previewName(c.subset, base), { host: c.host, port: c.port });
  }
  return owners;
}

function blockAll(sidecar: SidecarIR): VirtualHostIR {
  const route: RouteIR = { name: BLOCK_ALL, matches: [], destinations: [], timeout: '0s', directResponse: { status: 502 }, source: sidecar.source, path: 'spec.outboundTrafficPolicy' };
  return { name: BLOCK_ALL, domains: ['*'], routes: [route] };
}

/**
 * The scope of Sidecar `key` (`namespace/name`) over `ir` (the view's exportTo scope, see scopeOf), for a
 * proxy in `namespace` (only the mesh default's `.` reads it); undefined when the IR has no such Sidecar.
 */
export function sidecarScope(ir: MeshIR, key: string, namespace?: string): SidecarScope | undefined {
  const sidecar = ir.sidecars?.find((s) => s.key === key);
  if (!sidecar) return undefined;
  const configNamespace = configNamespaceOf(sidecar, namespace);
  const namespaces = new Map(ir.services.map((s) => [s.host, s.namespace]));
  const allowsHost = (host: string, hostNamespace: string, port?: number) => sidecarAllowsHost(sidecar, host, hostNamespace, port, configNamespace);
  const allows = (host: string, port: number) => namespaces.has(host) && allowsHost(host, namespaces.get(host)!, port);
  const owners = ownersOf(ir);
  const ownedAllowed = (vh: VirtualHostIR) => {
    const owner = owners.get(vh.name);
    return owner !== undefined && allows(owner.host, owner.port);
  };
  const reached = new Set<string>();
  const reach = (routes: RouteIR[]) => {
    for (const r of routes) for (const c of [...r.destinations, ...(r.mirrors ?? [])]) reached.add(c.cluster);
  };
  const hostOf = new Map(ir.clusters.map((c) => [c.name, c.host]));

  const meshPorts = ir.meshPorts.flatMap((p): MeshIR['meshPorts'] => {
    if (p.kind === 'http') {
      const virtualHosts = p.virtualHosts.filter(ownedAllowed);
      for (const vh of virtualHosts) reach(vh.routes);
      if (!virtualHosts.length) return [];
      return [{ ...p, virtualHosts: sidecar.registryOnly ? [...virtualHosts, blockAll(sidecar)] : virtualHosts }];
    }
    if (p.kind === 'tcp') {
      if (!allows(hostOf.get(p.cluster) ?? '', p.port)) return [];
      reached.add(p.cluster);
      for (const d of p.route?.destinations ?? []) reached.add(d.cluster);
      return [p];
    }
    const chains = p.chains.filter((c) => c.hosts.some((h) => allows(h, p.port)));
    for (const c of chains) for (const d of c.route.destinations) reached.add(d.cluster);
    return chains.length ? [{ ...p, chains }] : [];
  });
  const grpcTargets = ir.grpcTargets.filter((t) => ownedAllowed(t.virtualHost));
  for (const t of grpcTargets) reach(t.virtualHost.routes);
  const clusters = ir.clusters.filter((c) => allows(c.host, c.port) || reached.has(c.name));
  const names = new Set(clusters.map((c) => c.name));
  return { sidecar, allowsHost, allowsCluster: (name) => names.has(name), ir: { ...ir, clusters, meshPorts, grpcTargets } };
}

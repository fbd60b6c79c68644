import { sniClusterName } from '../envoy/names';
import { CLUSTER_DOMAIN } from '../intent/short-names';
import type { ClusterIR, GatewayChainPortIR, GatewayFilterChainIR, MeshIR, ServiceIR } from '../ir/types';
import { hostMatches } from '../translate/hosts';

/**
 * Istio counts a Kubernetes Service as MESH_INTERNAL and a ServiceEntry as its `location` says (unset:
 * MESH_EXTERNAL). Here ServiceEntries stand in for Kubernetes Services too, so one for a host under the
 * cluster domain counts as internal unless it says MESH_EXTERNAL.
 */
export const isMeshInternal = (svc: ServiceIR) => svc.location === 'MESH_INTERNAL' || (svc.location === undefined && svc.host.endsWith(`.svc.${CLUSTER_DOMAIN}`));

export interface AutoPassthroughParts {
  /** Extra chains per gateway key and port, after the gateway's own (render/gateway-chain-ports). */
  chainsByGateway: Map<string, GatewayChainPortIR[]>;
  /** TLS-free copies of the clusters those chains go to, named after their SNI. */
  clusters: ClusterIR[];
}

/**
 * What AUTO_PASSTHROUGH servers of a view's gateways render, as Istio's gateway does
 * (builtAutoPassthroughFilterChains, buildOutboundSniDnatClusters): for every cluster of a mesh-internal
 * service the server's hosts admit (the whole service and each subset, every port), a filter chain on SNI
 * `outbound_.<port>_.<subset>_.<host>` proxying the connection, TLS untouched, to a copy of that cluster
 * without TLS of its own (the caller's mTLS goes through end to end). Services with resolution NONE have
 * no endpoints to send to and are left out.
 */
export function autoPassthroughParts(ir: MeshIR, gatewayKeys: string[]): AutoPassthroughParts {
  const chainsByGateway = new Map<string, GatewayChainPortIR[]>();
  const copies = new Map<string, ClusterIR>();
  const internal = new Set(ir.services.filter(isMeshInternal).map((s) => s.host));
  for (const gw of ir.gateways.filter((g) => gatewayKeys.includes(g.key))) {
    const ports: GatewayChainPortIR[] = [];
    for (const p of gw.chainPorts ?? []) {
      const chains: GatewayFilterChainIR[] = [];
      for (const server of p.autoPassthrough ?? []) {
        for (const c of ir.clusters) {
          if (c.resolution === 'NONE' || !internal.has(c.host) || !server.hosts.some((h) => hostMatches(h, c.host))) continue;
          const name = sniClusterName(c.port, c.subset ?? '', c.host);
          if (!copies.has(name)) {
            const { tls: _ownTls, ...plain } = c;
            copies.set(name, { ...plain, name });
          }
          chains.push({ serverNames: [name], tcp: { destinations: [{ cluster: name, weight: 100 }], source: server.source, path: server.path }, source: server.source, path: server.path });
        }
      }
      if (chains.length) ports.push({ port: p.port, chains });
    }
    if (ports.length) chainsByGateway.set(gw.key, ports);
  }
  return { chainsByGateway, clusters: [...copies.values()] };
}

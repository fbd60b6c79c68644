import { clusterName, sourceRef } from '../envoy/names';
import type { VirtualServiceIntent } from '../intent/kinds';
import type { MeshTlsChainIR, ServiceIR, TcpRouteIR } from '../ir/types';
import type { RouteContext } from './route-context';
import { hostMatches } from './hosts';
import { translateTcpRoute, translateTlsRoutes } from './l4-routes';
import { MESH_GATEWAY } from './match-gateways';
import { effectivePolicy } from './traffic-policy';

// `*` among a match's SNI hosts matches any SNI: a chain without server_names.
const CATCH_ALL = '';

const byName = (a: VirtualServiceIntent, b: VirtualServiceIntent) => {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

const originatesTls = (svc: ServiceIR, port: number, ctx: RouteContext) => {
  const policy = ctx.policies.get(svc.host)?.trafficPolicy;
  const mode = policy && effectivePolicy(policy, undefined, port).tls?.mode;
  return mode !== undefined && mode !== 'DISABLE';
};

const hasTlsMatch = (vs: VirtualServiceIntent, port: number) => (vs.spec.tls ?? []).some((rule) => rule.match.some((m) => m.port === undefined || m.port === port));

/**
 * Filter chains of a mesh TLS or HTTPS port, as Istio builds a sidecar's for services without an address
 * (the listener is 0.0.0.0, so SNI is all that tells them apart): a chain per tls match of the services'
 * VirtualServices, on its SNI hosts; then, per service whose VirtualService has no tls match for the port,
 * one on its host to its own cluster (or to its VirtualService's tcp route; on any SNI when the proxy
 * originates TLS to it, as the client then sends none). An SNI host already taken on
 * the port stays with the first claim (VirtualServices in namespace/name order; Istio: creation time) and
 * the later one is reported.
 */
export function translateMeshTlsChains(port: number, services: ServiceIR[], vsFor: (svc: ServiceIR) => VirtualServiceIntent | undefined, ctx: RouteContext): MeshTlsChainIR[] {
  const chains: MeshTlsChainIR[] = [];
  const taken = new Map<string, TcpRouteIR>();
  const sorted = [...services].sort((a, b) => (a.host < b.host ? -1 : 1));
  const chosen = new Map(sorted.map((svc) => [svc, vsFor(svc)] as const));
  const routed = [...new Set([...chosen.values()])].filter((vs): vs is VirtualServiceIntent => vs !== undefined).sort(byName);
  for (const vs of routed) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    const mine = sorted.filter((svc) => chosen.get(svc) === vs).map((svc) => svc.host);
    for (const { sniHosts, route } of translateTlsRoutes(vs, source, port, ctx, port, MESH_GATEWAY)) {
      const keys = sniHosts.includes('*') ? [CATCH_ALL] : [...new Set(sniHosts)];
      for (const k of keys.filter((k) => taken.has(k))) {
        const first = taken.get(k)!;
        ctx.diag.warn(source, `${route.path}.sniHosts`, `SNI ${k || '*'} on mesh port ${port} is already routed by ${first.source} ${first.path}; ignored here`);
      }
      const free = keys.filter((k) => !taken.has(k));
      if (!free.length) continue;
      for (const k of free) taken.set(k, route);
      // The hosts this chain serves: those its SNI names can be (all of the VirtualService's, for any SNI).
      const served = free.includes(CATCH_ALL) ? mine : mine.filter((h) => free.some((k) => hostMatches(k, h)));
      chains.push({ serverNames: free.filter((k) => k !== CATCH_ALL), hosts: served.length ? served : mine, route });
    }
  }
  for (const [svc, vs] of chosen) {
    // A host a tls route already claims keeps that route.
    if ((vs && hasTlsMatch(vs, port)) || taken.has(svc.host)) continue;
    const tcp = vs && translateTcpRoute(vs, sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name), port, port, ctx, MESH_GATEWAY);
    const route = tcp ?? { destinations: [{ cluster: clusterName(port, '', svc.host), weight: 1 }], source: svc.source, path: 'spec.ports' };
    // When the proxy originates TLS (a DestinationRule `tls`), the client speaks plaintext: there is no SNI to match.
    const key = originatesTls(svc, port, ctx) ? CATCH_ALL : svc.host;
    const first = taken.get(key);
    if (first) {
      ctx.diag.warn(svc.source, 'spec.ports', `no sidecar chain for ${svc.host} on port ${port}: its DestinationRule originates TLS, so connections carry no SNI, and ${first.source} ${first.path} already takes those`);
      continue;
    }
    taken.set(key, route);
    chains.push({ serverNames: key === CATCH_ALL ? [] : [key], hosts: [svc.host], route });
  }
  return chains;
}

import { clusterName } from '../../xds/envoy/names';
import type { Destination, IstioObject, Rollout } from './types';

/**
 * The mesh as the services page draws it: each VirtualService's routes, each route's split over its
 * destinations, each destination's DestinationRule subset and the Envoy clusters it lands on.
 */

export interface MeshDestination {
  host: string;
  subset: string;
  weight: number;
  /** `namespace/name` of the DestinationRule defining the host's subsets, if any. */
  rule?: string;
  /** False when a subset is named that no DestinationRule of the host defines (the route would fail). */
  subsetDefined: boolean;
  clusters: string[];
}
export interface MeshRoute {
  protocol: 'http' | 'tcp' | 'tls';
  /** How a rollout names it: the route's `name`, else `#<index>` among the http routes. */
  key: string;
  match?: string;
  destinations: MeshDestination[];
  /** The active rollout that moves this route's weights. */
  owner?: Pick<Rollout, 'id' | 'state' | 'weight' | 'name'>;
}
export interface MeshService {
  namespace: string;
  name: string;
  hosts: string[];
  gateways: string[];
  routes: MeshRoute[];
}

/** Istio's short names: a host without a dot is the Service of that name in the object's namespace (as xds/intent/short-names.ts reads them). */
const qualify = (host: string, namespace: string) => (host === '*' || host === '' || host.includes('.') || host.includes(':') ? host : `${host}.${namespace}.svc.cluster.local`);

interface RouteSpec {
  name?: string;
  match?: unknown[];
  route?: { destination?: Destination; weight?: number }[];
}

function matchSummary(match: unknown[] | undefined): string | undefined {
  if (!match?.length) return undefined;
  return match
    .map((m) =>
      Object.entries(m as Record<string, unknown>)
        .filter(([k]) => k !== 'name')
        .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
        .join(' & '),
    )
    .join(' or ');
}

export function meshModel(virtualServices: IstioObject[], destinationRules: IstioObject[], serviceEntries: IstioObject[], rollouts: Rollout[]): MeshService[] {
  const rulesByHost = new Map<string, IstioObject[]>();
  for (const dr of destinationRules) {
    const host = qualify(String(dr.spec.host ?? ''), dr.metadata.namespace);
    rulesByHost.set(host, [...(rulesByHost.get(host) ?? []), dr]);
  }
  const portsByHost = new Map<string, number[]>();
  for (const se of serviceEntries) {
    const ports = ((se.spec.ports as { number: number }[] | undefined) ?? []).map((p) => p.number);
    for (const host of (se.spec.hosts as string[] | undefined) ?? []) portsByHost.set(host, [...new Set([...(portsByHost.get(host) ?? []), ...ports])]);
  }
  const active = rollouts.filter((r) => r.state === 'progressing' || r.state === 'paused');

  const destinationOf = (vs: IstioObject, d: Destination | undefined, weight: number): MeshDestination => {
    const host = qualify(d?.host ?? '', vs.metadata.namespace);
    const subset = d?.subset ?? '';
    // Istio takes the rule of the client's namespace first, then the host's: here the VirtualService's, then any.
    const rules = rulesByHost.get(host) ?? [];
    const rule = rules.find((r) => r.metadata.namespace === vs.metadata.namespace) ?? rules[0];
    const subsets = ((rule?.spec.subsets as { name: string }[] | undefined) ?? []).map((s) => s.name);
    const ports = d?.port?.number ? [d.port.number] : (portsByHost.get(host) ?? []);
    return {
      host,
      subset,
      weight,
      rule: rule && `${rule.metadata.namespace}/${rule.metadata.name}`,
      subsetDefined: !subset || subsets.includes(subset),
      clusters: ports.map((port) => clusterName(port, subset, host)),
    };
  };

  return virtualServices.map((vs) => {
    const routes: MeshRoute[] = [];
    for (const protocol of ['http', 'tcp', 'tls'] as const) {
      ((vs.spec[protocol] as RouteSpec[] | undefined) ?? []).forEach((r, index) => {
        const destinations = r.route ?? [];
        // One destination without a weight takes everything; Istio's default elsewhere is 0.
        const weightOf = (w: number | undefined) => w ?? (destinations.length === 1 ? 100 : 0);
        const key = r.name ?? `#${index}`;
        const owner = protocol === 'http' ? active.find((o) => o.virtualService.namespace === vs.metadata.namespace && o.virtualService.name === vs.metadata.name && (o.route === key || o.route === `#${index}`)) : undefined;
        routes.push({
          protocol,
          key,
          match: matchSummary(r.match),
          destinations: destinations.map((d) => destinationOf(vs, d.destination, weightOf(d.weight))),
          owner: owner && { id: owner.id, state: owner.state, weight: owner.weight, name: owner.name },
        });
      });
    }
    return {
      namespace: vs.metadata.namespace,
      name: vs.metadata.name,
      hosts: (vs.spec.hosts as string[] | undefined) ?? [],
      gateways: (vs.spec.gateways as string[] | undefined) ?? [],
      routes,
    };
  });
}

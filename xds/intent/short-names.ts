import { isIp } from './common';
import type { DestinationRuleIntent, VirtualServiceIntent } from './kinds';
import type { IntentObject } from './types';

/**
 * Istio's short host names (istio/istio pilot/pkg/model: ResolveShortnameToFQDN, applied by
 * resolveVirtualServiceShortnames and to DestinationRule hosts): a name without a dot, in a
 * VirtualService's hosts and destinations or a DestinationRule's host, means the Kubernetes Service of
 * that name in the object's namespace. `*`, IP addresses and names with a dot are kept as written, so
 * `reviews.default` stays `reviews.default` (as in Istio: it is not expanded). ServiceEntry hosts are
 * never resolved; Sidecar egress hosts must be fully qualified (refused when written). Gateway names
 * (a VirtualService's and its matches') become `namespace/name` the same way.
 */

/** The cluster's DNS domain (Istio's `--domain`, Kubernetes' `cluster.local`). */
export const CLUSTER_DOMAIN = 'cluster.local';

/** A host as Istio reads it in an object of `namespace`. */
export function qualifyHost(host: string, namespace: string): string {
  if (host === '*' || host.includes('.') || isIp(host) || host === '') return host;
  return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

type Destination = { host?: string } | undefined;
type Json = Record<string, any>;

/** The object with every short host and gateway name resolved (the same object when it has none): what translation and the reference index read. */
export function withQualifiedHosts<T extends IntentObject>(o: T): T {
  const ns = o.metadata.namespace;
  if (o.kind === 'DestinationRule') {
    const spec = (o as unknown as DestinationRuleIntent).spec;
    const host = qualifyHost(spec.host, ns);
    return host === spec.host ? o : { ...o, spec: { ...spec, host } };
  }
  if (o.kind !== 'VirtualService') return o;
  const spec = (o as unknown as VirtualServiceIntent).spec as Json;
  let changed = false;
  const q = (host: string) => {
    const out = qualifyHost(host, ns);
    if (out !== host) changed = true;
    return out;
  };
  const dest = <D extends Destination>(d: D): D => (d && typeof d.host === 'string' ? { ...d, host: q(d.host) } : d);
  // Gateway names too (Istio's resolveGatewayName): `name` is `namespace/name` in the object's namespace.
  const gw = (g: string) => {
    const out = g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`;
    if (out !== g) changed = true;
    return out;
  };
  const matches = (ms: Json[] | undefined) => ms?.map((m) => (Array.isArray(m?.gateways) ? { ...m, gateways: m.gateways.map(gw) } : m));
  const routes = (rules: Json[] | undefined): Json[] | undefined =>
    rules?.map((rule): Json => ({ ...rule, ...(rule.route ? { route: rule.route.map((r: Json) => ({ ...r, destination: dest(r.destination) })) } : {}), ...(rule.match ? { match: matches(rule.match) } : {}) }));
  const next: Json = { ...spec, hosts: (spec.hosts as string[]).map(q), ...(spec.gateways ? { gateways: (spec.gateways as string[]).map(gw) } : {}) };
  if (spec.http)
    next.http = routes(spec.http)!.map((rule) => ({
      ...rule,
      ...(rule.mirror ? { mirror: dest(rule.mirror) } : {}),
      ...(rule.mirrors ? { mirrors: rule.mirrors.map((m: Json) => ({ ...m, destination: dest(m.destination) })) } : {}),
    }));
  if (spec.tcp) next.tcp = routes(spec.tcp);
  if (spec.tls) next.tls = routes(spec.tls);
  return changed ? ({ ...o, spec: next } as T) : o;
}

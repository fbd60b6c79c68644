import { clusterName, sourceRef } from '../envoy/names';
import type { DestinationRuleIntent, ServiceEntryIntent } from '../intent/kinds';
import type { TrafficPolicy } from '../intent/traffic-policy';
import type { ClusterEndpointIR, ClusterIR, ServiceIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { hostMatches, isHttpProtocol } from './hosts';
import { effectivePolicy, grpcLoadBalancerPaths, istioMutualPaths, policyFields, tlsPolicyPaths } from './traffic-policy';

/** ServiceEntries → one ServiceIR per host (the first object declaring a host wins; later ones are errors). */
export function translateServiceEntries(entries: ServiceEntryIntent[], diag: Diagnostics): Map<string, ServiceIR> {
  const services = new Map<string, ServiceIR>();
  for (const se of entries) {
    const source = sourceRef(se.kind, se.metadata.namespace, se.metadata.name);
    se.spec.hosts.forEach((host, i) => {
      const existing = services.get(host);
      if (existing) {
        diag.error(source, `spec.hosts[${i}]`, `host ${host} is already declared by ${existing.source}`);
        return;
      }
      services.set(host, {
        host,
        namespace: se.metadata.namespace,
        source,
        resolution: se.spec.resolution ?? 'NONE',
        ports: se.spec.ports.map((p) => ({ number: p.number, name: p.name, protocol: p.protocol, ...(p.targetPort ? { targetPort: p.targetPort } : {}) })),
        endpoints: (se.spec.endpoints ?? []).map((ep) => ({
          address: ep.address,
          ports: ep.ports ?? {},
          labels: ep.labels ?? {},
          ...(ep.weight ? { weight: ep.weight } : {}),
          ...(ep.locality ? { locality: ep.locality } : {}),
        })),
      });
    });
  }
  return services;
}

export interface SubsetIR {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationPolicyIR {
  source: string;
  trafficPolicy?: TrafficPolicy;
  subsets: Map<string, SubsetIR>;
}

/** How specific a wildcard host is: `*` least, then by the length of what it fixes (`*.a.b.local` over `*.local`). */
const specificity = (pattern: string) => (pattern === '*' ? 0 : pattern.length);

/**
 * DestinationRules by service host. A rule names one declared host, or (as Istio's mesh-wide and
 * namespace-wide rules) a wildcard — `*`, `*.local`, `*.ns.svc.cluster.local` — that applies to every
 * declared host it matches and has no rule of its own; the most specific wildcard wins (Istio:
 * MostSpecificHostMatch). A rule for an undeclared host, or a second rule for a host or pattern, is an error.
 */
export function translateDestinationRules(rules: DestinationRuleIntent[], services: Map<string, ServiceIR>, diag: Diagnostics): Map<string, DestinationPolicyIR> {
  const byHost = new Map<string, DestinationPolicyIR>();
  const wildcards: { pattern: string; policy: DestinationPolicyIR; dr: DestinationRuleIntent }[] = [];
  const policyOf = (dr: DestinationRuleIntent, source: string): DestinationPolicyIR => {
    const subsets = new Map<string, SubsetIR>();
    for (const s of dr.spec.subsets ?? []) {
      subsets.set(s.name, { name: s.name, labels: s.labels ?? {}, ...(s.trafficPolicy ? { trafficPolicy: s.trafficPolicy } : {}) });
    }
    return { source, subsets, ...(dr.spec.trafficPolicy ? { trafficPolicy: dr.spec.trafficPolicy } : {}) };
  };
  const warnFor = (dr: DestinationRuleIntent, source: string, hosts: ServiceIR[]) => {
    if (hosts.some((svc) => svc.ports.some((p) => isHttpProtocol(p.protocol)))) {
      for (const w of tlsPolicyPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
    }
    for (const w of istioMutualPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
    // Declared gRPC ports are what proxyless gRPC clients call.
    if (hosts.some((svc) => svc.ports.some((p) => p.protocol === 'GRPC'))) {
      for (const w of grpcLoadBalancerPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
    }
    const original = hosts.find((svc) => svc.resolution === 'NONE');
    if (original && dr.spec.trafficPolicy?.loadBalancer) diag.warn(source, 'spec.trafficPolicy.loadBalancer', `has no effect on ${original.host}: with resolution NONE each connection goes to the address its caller dialled (Envoy's ORIGINAL_DST cluster picks it)`);
  };
  for (const dr of rules) {
    const source = sourceRef(dr.kind, dr.metadata.namespace, dr.metadata.name);
    const host = dr.spec.host;
    const isPattern = host === '*' || host.startsWith('*.');
    if (isPattern) {
      const same = wildcards.find((w) => w.pattern === host);
      if (same) {
        diag.error(source, 'spec.host', `host ${host} already has a DestinationRule: ${same.policy.source}`);
        continue;
      }
      wildcards.push({ pattern: host, policy: policyOf(dr, source), dr });
      continue;
    }
    if (!services.has(host)) {
      diag.error(source, 'spec.host', `no ServiceEntry declares host ${host}`);
      continue;
    }
    const existing = byHost.get(host);
    if (existing) {
      diag.error(source, 'spec.host', `host ${host} already has a DestinationRule: ${existing.source}`);
      continue;
    }
    warnFor(dr, source, [services.get(host)!]);
    byHost.set(host, policyOf(dr, source));
  }
  // A ServiceEntry may declare a wildcard host itself (`*.example.com`): a rule naming it exactly is its own.
  wildcards.sort((a, b) => specificity(b.pattern) - specificity(a.pattern) || (a.pattern < b.pattern ? -1 : 1));
  const reached = new Map<DestinationPolicyIR, ServiceIR[]>(wildcards.map((w) => [w.policy, []]));
  for (const svc of services.values()) {
    if (byHost.has(svc.host)) continue;
    const exact = wildcards.find((w) => w.pattern === svc.host);
    const rule = exact ?? wildcards.find((w) => hostMatches(w.pattern, svc.host));
    if (!rule) continue;
    byHost.set(svc.host, rule.policy);
    reached.get(rule.policy)!.push(svc);
  }
  for (const w of wildcards) {
    const hosts = reached.get(w.policy)!;
    if (!hosts.length) diag.warn(w.policy.source, 'spec.host', `${w.pattern} matches no declared host that has no more specific DestinationRule: it applies to none yet`);
    warnFor(w.dr, w.policy.source, hosts);
  }
  return byHost;
}

const matchesLabels = (labels: Record<string, string>, selector: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Clusters for every service port, and one more per subset; sorted by name. */
export function buildClusterIRs(services: Map<string, ServiceIR>, policies: Map<string, DestinationPolicyIR>): ClusterIR[] {
  const clusters: ClusterIR[] = [];
  for (const svc of services.values()) {
    const policy = policies.get(svc.host);
    for (const port of svc.ports) {
      // A DNS service without endpoints is its own host name, reached on the port's targetPort.
      const implicit = svc.resolution === 'DNS' && svc.endpoints.length === 0;
      const endpointsFor = (selector: Record<string, string>): ClusterEndpointIR[] =>
        implicit ? [{ address: svc.host, port: port.targetPort ?? port.number }] : svc.endpoints
          .filter((ep) => matchesLabels(ep.labels, selector))
          .map((ep) => ({
            address: ep.address,
            port: ep.ports[port.name] ?? port.targetPort ?? port.number,
            ...(ep.weight ? { weight: ep.weight } : {}),
            ...(ep.locality ? { locality: ep.locality } : {}),
          }));
      const base = { host: svc.host, port: port.number, protocol: port.protocol, resolution: svc.resolution };
      clusters.push({
        ...base,
        name: clusterName(port.number, '', svc.host),
        lbPolicy: 'ROUND_ROBIN',
        endpoints: endpointsFor({}),
        sources: policy ? [svc.source, policy.source] : [svc.source],
        ...policyFields(effectivePolicy(policy?.trafficPolicy, undefined, port.number), svc.host, { port: port.number, subset: '' }),
      });
      for (const subset of policy?.subsets.values() ?? []) {
        clusters.push({
          ...base,
          name: clusterName(port.number, subset.name, svc.host),
          subset: subset.name,
          lbPolicy: 'ROUND_ROBIN',
          endpoints: endpointsFor(subset.labels),
          sources: [svc.source, policy!.source],
          ...policyFields(effectivePolicy(policy!.trafficPolicy, subset.trafficPolicy, port.number), svc.host, { port: port.number, subset: subset.name }),
        });
      }
    }
  }
  return clusters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

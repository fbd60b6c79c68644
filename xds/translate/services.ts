import { clusterName, sourceRef } from '../envoy/names';
import type { ServiceEntryIntent } from '../intent/kinds';
import type { TrafficPolicy } from '../intent/traffic-policy';
import type { ClusterEndpointIR, ClusterIR, ServiceIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { effectivePolicy, policyFields } from './traffic-policy';

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
        ...(se.spec.location ? { location: se.spec.location } : {}),
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

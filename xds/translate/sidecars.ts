import { sourceRef } from '../envoy/names';
import type { SidecarIntent, VirtualServiceIntent } from '../intent/kinds';
import type { SidecarEgressIR, SidecarHostIR, SidecarIR } from '../ir/sidecar';
import { listenerImportsHost, listenerImportsVirtualService } from '../ir/sidecar-hosts';
import { configNamespaceOf, ROOT_NAMESPACE } from '../ir/sidecar-select';
import type { MeshPortIR, ServiceIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { hostMatches, isHttpProtocol, isTlsProtocol } from './hosts';

/*
 * Sidecars → IR (Istio's semantics: istio/istio pilot/pkg/model/sidecar.go convertIstioListenerToWrapper,
 * initSidecarScopeInternalIndexes; push_context.go initSidecarScopes):
 * - a Sidecar without egress imports every host (`*` / `*`);
 * - a `~` namespace prefix turns the entry into an exclusion, a bare `~` meaning every namespace;
 * - `.` is the config namespace: the Sidecar's own, except in the root namespace's namespace-wide Sidecar
 *   (the mesh default), where it is each proxy's own and stays `.` in the IR;
 * - one namespace-wide Sidecar per namespace (Istio leaves several undefined; here the second is an error).
 */

const isMeshDefault = (sc: SidecarIntent) => sc.metadata.namespace === ROOT_NAMESPACE && !sc.spec.workloadSelector;

function hostOf(entry: string, sidecar: SidecarIntent): SidecarHostIR {
  const slash = entry.indexOf('/');
  const written = entry.slice(0, slash);
  const exclude = written.startsWith('~');
  let namespace = exclude ? written.slice(1) || '*' : written;
  if (namespace === '.' && !isMeshDefault(sidecar)) namespace = sidecar.metadata.namespace;
  return { namespace, host: entry.slice(slash + 1), ...(exclude ? { exclude: true as const } : {}) };
}

/** One Sidecar's IR, before the checks across objects (also what the reference index reads). */
export function sidecarToIR(sc: SidecarIntent): SidecarIR {
  const { namespace, name } = sc.metadata;
  const egress: SidecarEgressIR[] = sc.spec.egress?.length
    ? sc.spec.egress.map((l) => ({ ...(l.port ? { port: l.port.number } : {}), hosts: l.hosts.map((h) => hostOf(h, sc)) }))
    : [{ hosts: [{ namespace: '*', host: '*' }] }];
  return {
    key: `${namespace}/${name}`,
    source: sourceRef(sc.kind, namespace, name),
    namespace,
    ...(sc.spec.workloadSelector ? { selector: sc.spec.workloadSelector.labels } : {}),
    egress,
    // A policy without a mode is REGISTRY_ONLY (the proto enum's zero value); ALLOW_ANY is refused when written.
    ...(sc.spec.outboundTrafficPolicy && sc.spec.outboundTrafficPolicy.mode !== 'ALLOW_ANY' ? { registryOnly: true as const } : {}),
  };
}

/** Two selectors a proxy can match at once: no key they both set differs. */
const overlap = (a: Record<string, string>, b: Record<string, string>) => Object.entries(a).every(([k, v]) => !(k in b) || b[k] === v);

const familyOf = (protocol: string): MeshPortIR['kind'] => (isHttpProtocol(protocol) ? 'http' : isTlsProtocol(protocol) ? 'tls' : 'tcp');

/** Egress ports: what their listener will carry is decided by the ServiceEntries' ports, said when it differs. */
function checkEgressPorts(sc: SidecarIntent, source: string, meshPorts: MeshPortIR[], diag: Diagnostics): void {
  sc.spec.egress?.forEach((l, i) => {
    if (!l.port) return;
    const served = meshPorts.find((p) => p.port === l.port!.number);
    if (!served) diag.warn(source, `spec.egress[${i}].port.number`, `no sidecar listener serves port ${l.port.number} (no ServiceEntry declares it, or its services cannot share it): this egress listener carries nothing`);
    else if (served.kind !== familyOf(l.port.protocol)) {
      diag.warn(source, `spec.egress[${i}].port.protocol`, `port ${l.port.number} is served as ${served.kind.toUpperCase()}, as its ServiceEntries declare it; the listener follows them, not ${l.port.protocol}`);
    }
  });
}

/**
 * A VirtualService an egress listener does not import still routes the hosts it imports here (the mesh
 * translation picks one VirtualService per host for every proxy); Istio would route them by default.
 */
function checkVirtualServiceImports(sc: SidecarIntent, ir: SidecarIR, services: ServiceIR[], meshServices: VirtualServiceIntent[], diag: Diagnostics): void {
  const configNamespace = configNamespaceOf(ir, undefined);
  ir.egress.forEach((listener, i) => {
    for (const vs of meshServices) {
      if (listenerImportsVirtualService(listener, vs.spec.hosts, vs.metadata.namespace, configNamespace)) continue;
      // A listener with a port imports its hosts on that port only (Istio trims the services to it).
      const onPort = (s: ServiceIR) => listener.port === undefined || s.ports.some((p) => p.number === listener.port);
      const routed = services.find((s) => onPort(s) && vs.spec.hosts.some((h) => hostMatches(h, s.host)) && listenerImportsHost(listener, s.host, s.namespace, configNamespace));
      if (!routed) continue;
      const path = sc.spec.egress?.length ? `spec.egress[${i}].hosts` : 'spec';
      diag.warn(ir.source, path, `imports host ${routed.host} but not VirtualService ${vs.metadata.namespace}/${vs.metadata.name}, which routes it (no entry for namespace ${vs.metadata.namespace} matches its hosts): Istio would route ${routed.host} without it for these proxies; here its routes apply`);
    }
  });
}

/** Sidecars in namespace/name order, checked across objects: one namespace-wide per namespace, overlapping selectors, egress ports. */
export function translateSidecars(sidecars: SidecarIntent[], services: ServiceIR[], meshServices: VirtualServiceIntent[], meshPorts: MeshPortIR[], diag: Diagnostics): SidecarIR[] {
  const out: SidecarIR[] = [];
  for (const sc of sidecars) {
    const ir = sidecarToIR(sc);
    const sameNamespace = out.filter((o) => o.namespace === ir.namespace);
    const wide = sameNamespace.find((o) => !o.selector);
    if (!ir.selector && wide) {
      diag.error(ir.source, 'spec.workloadSelector', `namespace ${ir.namespace} already has a Sidecar without workloadSelector (${wide.key}); a namespace takes one (Istio leaves which applies undefined)`);
      continue;
    }
    const shadowing = ir.selector && sameNamespace.find((o) => o.selector && overlap(o.selector, ir.selector!));
    if (shadowing) diag.warn(ir.source, 'spec.workloadSelector', `a proxy whose labels match both this and ${shadowing.key}'s workloadSelector gets ${shadowing.key}, the first by name (Istio: the oldest)`);
    if (ir.selector && ir.namespace === ROOT_NAMESPACE) diag.warn(ir.source, 'spec.workloadSelector', `a Sidecar with workloadSelector in the root namespace ${ROOT_NAMESPACE} applies only to proxies of ${ROOT_NAMESPACE}; the mesh default is the one without workloadSelector`);
    checkEgressPorts(sc, ir.source, meshPorts, diag);
    checkVirtualServiceImports(sc, ir, services, meshServices, diag);
    out.push(ir);
  }
  return out;
}

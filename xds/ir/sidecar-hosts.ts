import type { SidecarEgressIR, SidecarHostIR, SidecarIR } from './sidecar';

/*
 * How a Sidecar's egress hosts select, as Istio's pilot does (istio/istio pilot/pkg/model/sidecar.go
 * hostClassification, IstioEgressListenerWrapper.selectServices, convertIstioListenerToWrapper;
 * pilot/pkg/model/virtualservice.go SelectVirtualServices; pkg/config/host/name.go):
 * - a service's host is compared with the entries whose namespace is the *service's* namespace (its
 *   ServiceEntry's) or `*`; `.` is the config namespace: the Sidecar's own, or for the root namespace's
 *   default the proxy's. A VirtualService is compared the same way, with its own namespace;
 * - a service matches an entry when its host is a subset of the entry's (`SubsetOf`: equal, or the entry
 *   is `*` / `*.suffix` and the host ends in `.suffix`; a wildcard host only under a wider wildcard); a
 *   VirtualService host matches when the two are equal or, one being a wildcard, they overlap (`Matches`);
 * - an entry whose namespace has a `~` prefix excludes: a host is imported when some entry imports it and
 *   no exclusion in its namespace or `*` covers it (`SubsetOf`); a bare `~` namespace is `*`;
 * - a listener with a port imports its hosts on that port only; a port's listener and routes come from the
 *   listener with that port, else from the catch-all (GetEgressListenerForRDS).
 */

const isWildcard = (h: string) => h.startsWith('*');

/** Istio's `SubsetOf`: every name `host` stands for is also one `pattern` stands for. */
export function hostSubsetOf(host: string, pattern: string): boolean {
  if (isWildcard(host)) return isWildcard(pattern) && host.length >= pattern.length && host.slice(1).endsWith(pattern.slice(1));
  return isWildcard(pattern) ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/** Istio's `Matches`: the two names share some host (either may be a wildcard). */
export function hostsOverlap(a: string, b: string): boolean {
  if (isWildcard(a) && isWildcard(b)) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (isWildcard(a)) return b.endsWith(a.slice(1));
  if (isWildcard(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** Whether an entry speaks of objects in `namespace`; `.` is `configNamespace` (none: it names no namespace). */
const inNamespace = (entry: SidecarHostIR, namespace: string, configNamespace: string | undefined) =>
  entry.namespace === '*' || (entry.namespace === '.' ? configNamespace === namespace : entry.namespace === namespace);

function excluded(listener: SidecarEgressIR, host: string, namespace: string, configNamespace: string | undefined): boolean {
  return listener.hosts.some((e) => e.exclude && inNamespace(e, namespace, configNamespace) && hostSubsetOf(host, e.host));
}

/** Whether a listener imports a ServiceEntry host of `namespace`. */
export function listenerImportsHost(listener: SidecarEgressIR, host: string, namespace: string, configNamespace?: string): boolean {
  if (excluded(listener, host, namespace, configNamespace)) return false;
  return listener.hosts.some((e) => !e.exclude && inNamespace(e, namespace, configNamespace) && hostSubsetOf(host, e.host));
}

/** Whether a listener imports a VirtualService of `namespace` with these hosts (one host imported and not excluded is enough). */
export function listenerImportsVirtualService(listener: SidecarEgressIR, hosts: string[], namespace: string, configNamespace?: string): boolean {
  return hosts.some(
    (h) =>
      !excluded(listener, h, namespace, configNamespace) &&
      listener.hosts.some((e) => !e.exclude && inNamespace(e, namespace, configNamespace) && (e.host === h || ((isWildcard(h) || isWildcard(e.host)) && hostsOverlap(h, e.host)))),
  );
}

/** The listener a port's listener and routes come from: the one with that port, else the catch-all. */
export function listenerForPort(sidecar: SidecarIR, port: number): SidecarEgressIR | undefined {
  return sidecar.egress.find((l) => l.port === port) ?? sidecar.egress.find((l) => l.port === undefined);
}

/**
 * Whether the Sidecar lets its proxies call a ServiceEntry host of `namespace`: on `port` through the
 * listener for that port, or when no port is given, through any of its listeners.
 */
export function sidecarAllowsHost(sidecar: SidecarIR, host: string, namespace: string, port: number | undefined, configNamespace: string | undefined): boolean {
  if (port !== undefined) {
    const listener = listenerForPort(sidecar, port);
    return listener !== undefined && listenerImportsHost(listener, host, namespace, configNamespace);
  }
  return sidecar.egress.some((l) => listenerImportsHost(l, host, namespace, configNamespace));
}

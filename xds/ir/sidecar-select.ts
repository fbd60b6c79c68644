import type { SidecarIR } from './sidecar';
import type { MeshIR } from './types';
import type { View } from './view-types';

/*
 * Which Sidecar a proxy gets, as Istio's pilot chooses (istio/istio pilot/pkg/model/push_context.go
 * initSidecarScopes, getSidecarScope; istio/api networking/v1alpha3/sidecar.proto NOTE 1-3):
 * - only Sidecars of the proxy's own namespace apply; those with a workloadSelector come first and the
 *   first whose labels are a subset of the proxy's wins (Istio: oldest first; here namespace/name order),
 *   then the namespace-wide one (at most one per namespace);
 * - otherwise the root namespace's (MeshConfig rootNamespace, istio-system by default) namespace-wide
 *   Sidecar is the mesh default, its `.` meaning the proxy's own namespace;
 * - Gateway proxies (Router) never get one: they keep the default scope. Proxyless gRPC clients are
 *   sidecar proxies to Istio and do (their listeners come from the scope's services).
 */

/** Istio's default MeshConfig rootNamespace: its namespace-wide Sidecar is the mesh's default. */
export const ROOT_NAMESPACE = 'istio-system';

const matchesLabels = (labels: Record<string, string>, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

const isMeshDefault = (s: SidecarIR) => s.namespace === ROOT_NAMESPACE && !s.selector;

/** Sidecars by namespace (and the mesh default), per list: every poll chooses one, so with a Sidecar per namespace this must not scan them all. */
const indexes = new WeakMap<SidecarIR[], { byNamespace: Map<string, SidecarIR[]>; meshDefault: SidecarIR | undefined }>();

function indexOf(sidecars: SidecarIR[]) {
  let index = indexes.get(sidecars);
  if (!index) {
    const byNamespace = new Map<string, SidecarIR[]>();
    for (const s of sidecars) (byNamespace.get(s.namespace) ?? byNamespace.set(s.namespace, []).get(s.namespace)!).push(s);
    index = { byNamespace, meshDefault: sidecars.find(isMeshDefault) };
    indexes.set(sidecars, index);
  }
  return index;
}

/** The Sidecar a mesh proxy in `namespace` with these labels gets (`sidecars` in namespace/name order). */
export function sidecarFor(sidecars: SidecarIR[] | undefined, namespace: string | undefined, labels: Record<string, string>): SidecarIR | undefined {
  if (!sidecars?.length) return undefined;
  const index = indexOf(sidecars);
  const own = namespace === undefined ? [] : (index.byNamespace.get(namespace) ?? []);
  return own.find((s) => s.selector && matchesLabels(labels, s.selector)) ?? own.find((s) => !s.selector) ?? index.meshDefault;
}

/** Whether the Sidecar's scope depends on the proxy's namespace: the mesh default with a `.` entry. */
export const usesProxyNamespace = (s: SidecarIR) => isMeshDefault(s) && s.egress.some((l) => l.hosts.some((h) => h.namespace === '.'));

/** What `.` means for a proxy in `namespace` with this Sidecar: the proxy's namespace for the mesh default, else the Sidecar's. */
export const configNamespaceOf = (s: SidecarIR, namespace: string | undefined): string | undefined => (isMeshDefault(s) ? namespace : s.namespace);

/** The namespaces of proxies that can get the mesh default Sidecar in a view of their own (undefined: no namespace dimension). */
function meshDefaultNamespaces(ir: MeshIR, s: SidecarIR): (string | undefined)[] {
  const others = new Set((ir.sidecars ?? []).filter((x) => !x.selector && x !== s).map((x) => x.namespace));
  const scoped = Object.keys(ir.namespaceScopes ?? {});
  const known = usesProxyNamespace(s) ? [ROOT_NAMESPACE, ...scoped, ...ir.services.map((x) => x.namespace), ...(ir.sidecars ?? []).map((x) => x.namespace)] : scoped;
  return [undefined, ...[...new Set(known)].filter((ns) => !others.has(ns)).sort()];
}

/**
 * The Sidecar views rendered on every write: per Sidecar and client kind, the view its proxies get (with
 * the namespace when exportTo sets theirs apart); for the mesh default using `.`, one per namespace the
 * config knows (of its ServiceEntries, Sidecars and exportTo) whose proxies fall back to it.
 */
export function sidecarViews(ir: MeshIR): View[] {
  const views: View[] = [];
  for (const s of ir.sidecars ?? []) {
    const namespaces = isMeshDefault(s) ? meshDefaultNamespaces(ir, s) : [ir.namespaceScopes?.[s.namespace] ? s.namespace : undefined];
    for (const client of ['envoy', 'grpc'] as const) {
      for (const namespace of namespaces) views.push({ client, gateways: [], ...(namespace ? { namespace } : {}), sidecar: s.key });
    }
  }
  return views;
}

import { sidecarFor, sidecarViews, usesProxyNamespace } from './sidecar-select';
import type { MeshIR } from './types';
import type { LocalityInfo, NodeInfo, View, ViewSelector } from './view-types';

export { parseView, viewKey } from './view-key';

/** Envoy says `envoy`; gRPC's xDS clients say e.g. `gRPC Node Pure JS`, `gRPC Go`, `gRPC Java`. */
export const isGrpcClient = (node: NodeInfo) => /grpc/i.test(node.userAgentName ?? '');

const matchesLabels = (labels: Record<string, string>, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The IR a view renders from: its namespace's own when exportTo or DestinationRules set that namespace
 * apart (narrowed to the workloadSelectors its proxy matches), else the shared one.
 */
export function scopeOf(ir: MeshIR, view: View): MeshIR {
  const scope = (view.namespace ? ir.namespaceScopes?.[view.namespace] : undefined) ?? ir;
  return (view.destinationRules?.length ? scope.selectedScopes?.[view.destinationRules.join(',')] : undefined) ?? scope;
}

/** Every scope a config's views render from. */
const scopesOf = (ir: ViewSelector): ViewSelector[] => [ir, ...Object.values(ir.namespaceScopes ?? {}).flatMap((s) => [s, ...Object.values(s.selectedScopes ?? {})])];

/** region, zone, sub-zone cut to `depth`, without trailing empty parts. */
function localityParts(locality: LocalityInfo | undefined, depth: number): string[] {
  const parts = [locality?.region ?? '', locality?.zone ?? '', locality?.subZone ?? ''].slice(0, depth);
  while (parts.length && !parts.at(-1)) parts.pop();
  return parts;
}

/**
 * The view of a proxy: gRPC clients get the mesh view; an Envoy whose labels match Gateway selectors
 * gets those Gateways; a mesh proxy (either, without Gateways) gets the Sidecar that applies to it. The
 * namespace, locality, sourceLabels and failoverPriority label dimensions are added only when the
 * config makes them matter, and only as finely as it does, so proxies keep sharing snapshots.
 */
export function selectView(ir: ViewSelector, node: NodeInfo): View {
  const namespace = node.namespace && ir.namespaceScopes?.[node.namespace] ? node.namespace : undefined;
  const namespaceScope = namespace ? ir.namespaceScopes![namespace]! : ir;
  // DestinationRule workloadSelectors (of the proxy's namespace only): their scope is what every other dimension reads.
  const rules = (namespaceScope.ruleSelectors ?? []).flatMap((selector, i) => (matchesLabels(node.labels, selector) ? [i] : []));
  const scope = (rules.length ? namespaceScope.selectedScopes?.[rules.join(',')] : undefined) ?? namespaceScope;
  const view: View = isGrpcClient(node)
    ? { client: 'grpc', gateways: [] }
    : { client: 'envoy', gateways: scope.gateways.filter((gw) => matchesLabels(node.labels, gw.selector)).map((gw) => gw.key).sort() };
  if (namespace) view.namespace = namespace;
  if (scope !== namespaceScope) view.destinationRules = rules;
  // A Gateway's credentialName Secret is looked up in its proxy's namespace, as in Istio.
  if (!namespace && node.namespace && scope.gateways.some((gw) => gw.secretsFromProxyNamespace && view.gateways.includes(gw.key))) view.namespace = node.namespace;
  const sidecar = view.gateways.length ? undefined : sidecarFor(scope.sidecars, node.namespace, node.labels);
  if (sidecar) {
    view.sidecar = sidecar.key;
    if (!namespace && node.namespace && usesProxyNamespace(sidecar)) view.namespace = node.namespace;
  }
  const locality = scope.localityDepth ? localityParts(node.locality, scope.localityDepth) : [];
  if (locality.length) view.locality = locality;
  const sources = (scope.sourceSelectors ?? []).flatMap((selector, i) => (matchesLabels(node.labels, selector) ? [i] : []));
  if (sources.length) view.sources = sources;
  // failoverPriority: the proxy's values of the labels it compares (a missing or empty one is empty, as in Istio).
  const labels = (scope.priorityLabelKeys ?? []).flatMap((k) => (node.labels[k] ? [[k, node.labels[k]] as const] : []));
  if (labels.length) view.labels = Object.fromEntries(labels);
  return view;
}

/**
 * The view whose rendered resources this one shares. A gateway view's namespace that exportTo gives no
 * scope only picks its Secrets (SDS), so it renders as, and is published as, the view without it.
 */
export function renderedFormOf(ir: ViewSelector, view: View): View {
  if (!view.gateways.length || !view.namespace || ir.namespaceScopes?.[view.namespace]) return view;
  const { namespace: _, ...rest } = view;
  return rest;
}

/**
 * The label keys selectView reads (Gateway selectors, sourceLabels selectors, the labels
 * failoverPriority compares, Sidecars' and DestinationRules' workloadSelectors, in every scope). Proxies whose labels agree on these keys get the same view, so a bridge can group them by
 * these labels alone: a StatefulSet's per-pod labels do not split its proxies into classes.
 */
export function viewLabelKeys(ir: ViewSelector): string[] {
  const keys = new Set<string>();
  for (const scope of scopesOf(ir)) {
    for (const selector of scope.ruleSelectors ?? []) for (const k of Object.keys(selector)) keys.add(k);
    for (const gw of scope.gateways) for (const k of Object.keys(gw.selector)) keys.add(k);
    for (const selector of scope.sourceSelectors ?? []) for (const k of Object.keys(selector)) keys.add(k);
    for (const k of scope.priorityLabelKeys ?? []) keys.add(k);
    for (const s of scope.sidecars ?? []) for (const k of Object.keys(s.selector ?? {})) keys.add(k);
  }
  return [...keys].sort();
}

/** The views every write renders: mesh Envoy, mesh gRPC, each Gateway on its own, and each Sidecar's (see sidecarViews). */
export function defaultViews(ir: MeshIR): View[] {
  return [{ client: 'envoy', gateways: [] }, { client: 'grpc', gateways: [] }, ...ir.gateways.map((gw) => ({ client: 'envoy' as const, gateways: [gw.key] })), ...sidecarViews(ir)];
}

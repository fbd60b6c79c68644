import type { MeshIR } from '../ir/types';
import { usesProxyNamespace } from '../ir/sidecar-select';
import { defaultViews, viewKey } from '../ir/view';
import { renderView } from '../render/render';
import { isHttpProtocol } from '../translate/hosts';
import type { Subscriber } from '../ir/view-types';
import { publishView, putView, REFRESH_DELAY_PLACEHOLDER, XDS_CLUSTER_PLACEHOLDER, type Variant } from './published-view';
import { putRoot, viewSlot, type PublishedRoot, type ViewSelector } from './root';
import type { BlobStore } from './types';

/** How a REST view is rendered for publishing: the poller's xDS cluster and refresh delay go in as it is served. */
export const REST_TEMPLATE: Subscriber = { mode: 'rest', xdsCluster: XDS_CLUSTER_PLACEHOLDER, refreshDelay: REFRESH_DELAY_PLACEHOLDER };

export const subscriberOf = (variant: Variant): Subscriber => (variant === 'ads' ? { mode: 'ads' } : REST_TEMPLATE);

/** Envoys poll REST or come through the bridge; gRPC clients only ever come through the bridge. */
export const variantsOf = (client: 'envoy' | 'grpc'): Variant[] => (client === 'grpc' ? ['ads'] : ['rest', 'ads']);

/**
 * Config that only a full compile renders: EnvoyFilter patches, the root namespace's Sidecar importing `./` (a view per namespace), exportTo scopes, views with proxy-chosen
 * dimensions, and a port number some services declare as HTTP and others as TCP or TLS (whose listener
 * depends on every service of the port).
 */
export function needsFullCompile(ir: MeshIR): boolean {
  if (ir.envoyFilters?.length || ir.sidecars?.some(usesProxyNamespace) || ir.namespaceScopes || ir.sourceSelectors?.length || ir.localityDepth !== undefined || ir.priorityLabelKeys?.length) return true;
  const kinds = new Map<number, Set<boolean>>();
  for (const s of ir.services) for (const p of s.ports) (kinds.get(p.number) ?? kinds.set(p.number, new Set()).get(p.number)!).add(isHttpProtocol(p.protocol));
  return [...kinds.values()].some((k) => k.size > 1);
}

/** The part of an IR that view selection reads. */
export function viewSelectorOf(ir: MeshIR): ViewSelector {
  const selector: ViewSelector = { gateways: ir.gateways.map((g) => ({ key: g.key, selector: g.selector, ...(g.secretsFromProxyNamespace ? { secretsFromProxyNamespace: true as const } : {}) })) };
  if (ir.namespaceScopes) selector.namespaceScopes = Object.fromEntries(Object.entries(ir.namespaceScopes).map(([ns, scope]) => [ns, viewSelectorOf(scope)]));
  if (ir.ruleSelectors) selector.ruleSelectors = ir.ruleSelectors;
  if (ir.selectedScopes) selector.selectedScopes = Object.fromEntries(Object.entries(ir.selectedScopes).map(([key, scope]) => [key, viewSelectorOf(scope)]));
  if (ir.localityDepth !== undefined) selector.localityDepth = ir.localityDepth;
  if (ir.sourceSelectors) selector.sourceSelectors = ir.sourceSelectors;
  if (ir.priorityLabelKeys) selector.priorityLabelKeys = ir.priorityLabelKeys;
  if (ir.sidecars?.length) selector.sidecars = ir.sidecars;
  return selector;
}

/** Publishes every default view of a translated config, one view in memory at a time. */
export async function publishFull(store: BlobStore, ir: MeshIR, revision: number): Promise<{ root: PublishedRoot; key: string }> {
  const views: Record<string, string> = {};
  for (const view of defaultViews(ir)) {
    const key = viewKey(view);
    for (const variant of variantsOf(view.client)) {
      const rendered = renderView(ir, view, subscriberOf(variant));
      views[viewSlot(key, variant)] = await putView(store, await publishView(store, rendered.types, key, variant));
    }
  }
  const root: PublishedRoot = { format: 1, revision, mode: needsFullCompile(ir) ? 'full' : 'incremental', selector: viewSelectorOf(ir), views };
  return { root, key: await putRoot(store, root) };
}

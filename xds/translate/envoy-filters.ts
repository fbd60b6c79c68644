import { sourceRef } from '../envoy/names';
import type { EnvoyFilterIntent } from '../intent/kinds';
import type { EnvoyFilterIR, EnvoyPatchIR } from '../ir/envoy-filter';
import type { Diagnostics } from './diagnostics';

function patchOf(cp: EnvoyFilterIntent['spec']['configPatches'][number], path: string): EnvoyPatchIR {
  const m = cp.match ?? {};
  const name = m.cluster?.name ?? m.listener?.name ?? m.routeConfiguration?.name;
  const subName = cp.applyTo === 'HTTP_FILTER' ? m.listener?.filterChain?.filter?.subFilter?.name : m.routeConfiguration?.vhost?.name;
  return {
    applyTo: cp.applyTo,
    operation: cp.patch.operation,
    context: m.context ?? 'ANY',
    ...(name !== undefined ? { name } : {}),
    ...(subName !== undefined ? { subName } : {}),
    ...(cp.patch.value !== undefined ? { value: cp.patch.value } : {}),
    path,
  };
}

/**
 * EnvoyFilters → patches in the order Istio applies them: by priority (lower first), then
 * namespace/name (Istio's creation time is not kept here). A selector no Gateway carries, or one
 * aimed at sidecars, reaches no proxy: mesh views are not told apart by labels, so say so.
 */
export function translateEnvoyFilters(filters: EnvoyFilterIntent[], selectors: Record<string, string>[], diag: Diagnostics): EnvoyFilterIR[] {
  const result = filters.map((f): EnvoyFilterIR => {
    const source = sourceRef(f.kind, f.metadata.namespace, f.metadata.name);
    const labels = f.spec.workloadSelector?.labels;
    if (labels) {
      const selected = selectors.some((s) => Object.entries(labels).every(([k, v]) => s[k] === v));
      if (!selected) diag.warn(source, 'spec.workloadSelector.labels', 'no Gateway selector carries these labels: this EnvoyFilter reaches no proxy (mesh proxies are not told apart by labels here)');
      f.spec.configPatches.forEach((cp, i) => {
        if (cp.match?.context === 'SIDECAR_OUTBOUND') diag.warn(source, `spec.configPatches[${i}].match.context`, 'with a workloadSelector only gateway proxies are selected (mesh proxies are not told apart by labels here): this patch reaches no proxy');
      });
    }
    return {
      source,
      priority: f.spec.priority ?? 0,
      ...(labels ? { workloadLabels: labels } : {}),
      patches: f.spec.configPatches.map((cp, i) => patchOf(cp, `spec.configPatches[${i}]`)),
    };
  });
  return result.sort((a, b) => a.priority - b.priority || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

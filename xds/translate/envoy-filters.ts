import { sourceRef } from '../envoy/names';
import { ignoredFields } from '../intent/envoy-filter-ignored';
import type { EnvoyFilterIntent } from '../intent/kinds';
import type { EnvoyFilterIR, EnvoyPatchIR } from '../ir/envoy-filter';
import type { Diagnostics } from './diagnostics';

type ConfigPatch = EnvoyFilterIntent['spec']['configPatches'][number];

/** An object without the fields proto3 reads as unset (empty strings, zero ports), which Istio's matches read as "any". */
function setFields<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== 0 && v !== undefined)) as T;
}

function matchOf(m: NonNullable<ConfigPatch['match']>): Pick<EnvoyPatchIR, 'cluster' | 'listener' | 'routeConfiguration'> {
  const out: Pick<EnvoyPatchIR, 'cluster' | 'listener' | 'routeConfiguration'> = {};
  if (m.cluster) out.cluster = setFields(m.cluster);
  if (m.listener) {
    const { filterChain, ...listener } = m.listener;
    out.listener = { ...setFields(listener), ...(filterChain ? { filterChain: setFields(filterChain) } : {}) };
  }
  if (m.routeConfiguration) {
    const { vhost, ...rc } = m.routeConfiguration;
    const route = vhost?.route ? { ...setFields(vhost.route), action: vhost.route.action ?? 'ANY' } : undefined;
    out.routeConfiguration = { ...setFields(rc), ...(vhost ? { vhost: { ...setFields({ ...vhost, route: undefined }), ...(route ? { route } : {}) } } : {}) };
  }
  return out;
}

function patchOf(cp: ConfigPatch, path: string): EnvoyPatchIR {
  return {
    applyTo: cp.applyTo,
    operation: cp.patch.operation,
    context: cp.match?.context ?? 'ANY',
    ...(cp.match ? matchOf(cp.match) : {}),
    ...(cp.patch.value !== undefined ? { value: cp.patch.value } : {}),
    path,
  };
}

/**
 * EnvoyFilters → patches in the order Istio applies them: by priority (lower first), then
 * namespace/name (Istio's creation time is not kept here). A selector no Gateway carries, or one
 * aimed at sidecars, reaches no proxy: mesh views are not told apart by labels, so say so. Fields
 * Istio ignores are warnings.
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
    f.spec.configPatches.forEach((cp, i) => {
      for (const w of ignoredFields(cp)) diag.warn(source, `spec.configPatches[${i}].${w.path}`, w.message);
    });
    return {
      source,
      priority: f.spec.priority ?? 0,
      ...(labels ? { workloadLabels: labels } : {}),
      patches: f.spec.configPatches.map((cp, i) => patchOf(cp, `spec.configPatches[${i}]`)),
    };
  });
  return result.sort((a, b) => a.priority - b.priority || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

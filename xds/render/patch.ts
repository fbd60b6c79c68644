import type { ResourceType } from '../envoy/type-urls';
import type { EnvoyFilterIR, EnvoyPatchIR, PatchTarget } from '../ir/envoy-filter';
import type { MeshIR, SourceRef } from '../ir/types';
import type { View } from '../ir/view-types';
import { patchClusters } from './patch-clusters';
import { patchListeners } from './patch-listeners';
import { clusterMatches } from './patch-match';
import { patchRoutes } from './patch-routes';

type Json = Record<string, any>;

/** The resources of a view that EnvoyFilters patch, as rendered (proto3 JSON with `@type`). */
export interface PatchableResources {
  clusters: Json[];
  /** Not patched; an assignment whose cluster a patch removed goes with it. */
  endpoints: Json[];
  listeners: Json[];
  routes: Json[];
}

const TYPE_OF: Record<PatchTarget, ResourceType> = {
  CLUSTER: 'clusters',
  LISTENER: 'listeners',
  LISTENER_FILTER: 'listeners',
  NETWORK_FILTER: 'listeners',
  HTTP_FILTER: 'listeners',
  ROUTE_CONFIGURATION: 'routes',
  VIRTUAL_HOST: 'routes',
  HTTP_ROUTE: 'routes',
};

/** Whether a filter's patch reaches a view: by context (mesh or gateway) and workloadSelector. */
function reaches(ir: MeshIR, filter: EnvoyFilterIR, patch: EnvoyPatchIR, view: View): boolean {
  // As in Istio: proxyless gRPC clients implement a sliver of Envoy's API and would NACK most patches.
  if (view.client === 'grpc') return false;
  // Nothing inbound is rendered here (a warning on write says so).
  if (patch.context === 'SIDECAR_INBOUND') return false;
  const gateway = view.gateways.length > 0;
  if ((patch.context === 'GATEWAY' && !gateway) || (patch.context === 'SIDECAR_OUTBOUND' && gateway)) return false;
  if (!filter.workloadLabels) return true;
  // Proxies of a gateway view are known to carry its Gateways' selector labels, and nothing more.
  const labels: Record<string, string> = Object.assign({}, ...ir.gateways.filter((g) => view.gateways.includes(g.key)).map((g) => g.selector));
  return gateway && Object.entries(filter.workloadLabels).every(([k, v]) => labels[k] === v);
}

/** The patches reaching a view, by target, each list in the order the filters apply (Istio's merged EnvoyFilter). */
function patchesFor(ir: MeshIR, view: View): Partial<Record<PatchTarget, EnvoyPatchIR[]>> {
  const out: Partial<Record<PatchTarget, EnvoyPatchIR[]>> = {};
  for (const filter of ir.envoyFilters ?? []) {
    for (const p of filter.patches) if (reaches(ir, filter, p, view)) (out[p.applyTo] ??= []).push(p);
  }
  return out;
}

/**
 * The last translation stage: the EnvoyFilter patches that reach the view, applied to the rendered
 * resources as Istio's patching applies them (patch-clusters, patch-listeners, patch-routes). Pure;
 * a patch that matches nothing does nothing (as in Istio). What a patch produces is checked like
 * everything else: strict decoding, consistency and pre-flight.
 */
export function applyEnvoyFilters(res: PatchableResources, ir: MeshIR, view: View): PatchableResources {
  const patches = patchesFor(ir, view);
  const out = { ...res };
  if (patches.CLUSTER) {
    out.clusters = patchClusters(res.clusters, patches.CLUSTER);
    const eds = new Set(out.clusters.filter((c) => c.type === 'EDS').map((c) => c.eds_cluster_config?.service_name ?? c.name));
    out.endpoints = res.endpoints.filter((e) => eds.has(e.cluster_name));
  }
  if (patches.LISTENER || patches.LISTENER_FILTER || patches.NETWORK_FILTER || patches.HTTP_FILTER) out.listeners = patchListeners(res.listeners, patches);
  if (patches.ROUTE_CONFIGURATION || patches.VIRTUAL_HOST || patches.HTTP_ROUTE) out.routes = patchRoutes(res.routes, patches);
  return out;
}

/** Whether a patch may have touched the resource of that name (by the name-level part of its match). */
function touches(p: EnvoyPatchIR, name: string): boolean {
  if (p.operation === 'ADD' && (p.applyTo === 'CLUSTER' || p.applyTo === 'LISTENER')) return p.value?.name === name;
  if (p.applyTo === 'CLUSTER') return clusterMatches(name, p.cluster);
  const matched = TYPE_OF[p.applyTo] === 'listeners' ? p.listener?.name : p.routeConfiguration?.name;
  return matched === undefined || matched === name;
}

/** The EnvoyFilter that last patched a rendered resource (and its patches that did), to point pre-flight errors at it. */
export function patchSource(ir: MeshIR, view: View, type: ResourceType, name: string): SourceRef | undefined {
  const hits: { source: string; path: string }[] = [];
  for (const filter of ir.envoyFilters ?? []) {
    for (const p of filter.patches) {
      if (TYPE_OF[p.applyTo] === type && reaches(ir, filter, p, view) && touches(p, name)) hits.push({ source: filter.source, path: p.path });
    }
  }
  const last = hits.at(-1)?.source;
  return last ? { object: last, objectPath: hits.filter((h) => h.source === last).map((h) => h.path).join(', ') } : undefined;
}

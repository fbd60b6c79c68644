import { HCM_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import type { EnvoyFilterIR, EnvoyPatchIR } from '../ir/envoy-filter';
import type { MeshIR, SourceRef } from '../ir/types';
import { protoMerge } from './proto-merge';
import type { View } from '../ir/view-types';

type Json = Record<string, any>;

/** The resources of a view that EnvoyFilters patch, as rendered (proto3 JSON with `@type`). */
export interface PatchableResources {
  clusters: Json[];
  /** Not patched; an assignment whose cluster a patch removed goes with it. */
  endpoints: Json[];
  listeners: Json[];
  routes: Json[];
}

const ROUTER = 'envoy.filters.http.router';
const TYPE_OF = { CLUSTER: 'clusters', LISTENER: 'listeners', HTTP_FILTER: 'listeners', ROUTE_CONFIGURATION: 'routes', VIRTUAL_HOST: 'routes' } as const;

/** Whether a filter's patch reaches a view: by context (mesh or gateway) and workloadSelector. */
function reaches(ir: MeshIR, filter: EnvoyFilterIR, patch: EnvoyPatchIR, view: View): boolean {
  // As in Istio: proxyless gRPC clients implement a sliver of Envoy's API and would NACK most patches.
  if (view.client === 'grpc') return false;
  const gateway = view.gateways.length > 0;
  if ((patch.context === 'GATEWAY' && !gateway) || (patch.context === 'SIDECAR_OUTBOUND' && gateway)) return false;
  if (!filter.workloadLabels) return true;
  // Proxies of a gateway view are known to carry its Gateways' selector labels, and nothing more.
  const labels: Record<string, string> = Object.assign({}, ...ir.gateways.filter((g) => view.gateways.includes(g.key)).map((g) => g.selector));
  return gateway && Object.entries(filter.workloadLabels).every(([k, v]) => labels[k] === v);
}

const named = (name: string | undefined) => (r: Json) => name === undefined || r.name === name;
const withType = (type: ResourceType, value: Json) => ({ '@type': RESOURCE_TYPES[type], ...structuredClone(value) });

/** Adds a resource; one of the same name is replaced (a snapshot holds one resource per name). */
function add(list: Json[], resource: Json): Json[] {
  return [...list.filter((r) => r.name !== resource.name), resource];
}

/** MERGE, ADD or REMOVE on a list of named things. */
function patchList(list: Json[], p: EnvoyPatchIR, name: string | undefined, added: () => Json): Json[] {
  if (p.operation === 'ADD') return add(list, added());
  if (p.operation === 'REMOVE') return list.filter((r) => !named(name)(r));
  return list.map((r) => (named(name)(r) ? protoMerge(r, p.value!) : r));
}

function patchHttpFilters(filters: Json[], p: EnvoyPatchIR): Json[] {
  const at = filters.findIndex((f) => f.name === p.subName);
  const value = () => structuredClone(p.value!);
  switch (p.operation) {
    case 'MERGE':
      return filters.map((f) => (f.name === p.subName ? protoMerge(f, p.value!) : f));
    case 'REMOVE':
      return filters.filter((f) => f.name !== p.subName);
    case 'INSERT_FIRST':
      return [value(), ...filters];
    case 'ADD': {
      // After the others but before the router, which Envoy requires to be last.
      const router = filters.findIndex((f) => f.name === ROUTER);
      return router === -1 ? [...filters, value()] : [...filters.slice(0, router), value(), ...filters.slice(router)];
    }
    default: {
      if (at === -1) return filters;
      const i = p.operation === 'INSERT_BEFORE' ? at : at + 1;
      return [...filters.slice(0, i), value(), ...filters.slice(i)];
    }
  }
}

/** Every HTTP connection manager of a listener (filter chains, or a gRPC API listener), patched by `fn`. */
function mapConnectionManagers(listener: Json, fn: (hcm: Json) => Json): Json {
  const out = { ...listener };
  if (listener.api_listener?.api_listener?.['@type'] === HCM_TYPE) out.api_listener = { ...listener.api_listener, api_listener: fn(listener.api_listener.api_listener) };
  if (Array.isArray(listener.filter_chains)) {
    out.filter_chains = listener.filter_chains.map((chain: Json) => ({
      ...chain,
      filters: (chain.filters ?? []).map((f: Json) => (f.typed_config?.['@type'] === HCM_TYPE ? { ...f, typed_config: fn(f.typed_config) } : f)),
    }));
  }
  return out;
}

function applyPatch(res: PatchableResources, p: EnvoyPatchIR): void {
  switch (p.applyTo) {
    case 'CLUSTER':
      res.clusters = patchList(res.clusters, p, p.name, () => withType('clusters', p.value!));
      return;
    case 'LISTENER':
      res.listeners = patchList(res.listeners, p, p.name, () => withType('listeners', p.value!));
      return;
    case 'ROUTE_CONFIGURATION':
      res.routes = res.routes.map((r) => (named(p.name)(r) ? protoMerge(r, p.value!) : r));
      return;
    case 'VIRTUAL_HOST':
      res.routes = res.routes.map((r) => (named(p.name)(r) ? { ...r, virtual_hosts: patchList(r.virtual_hosts ?? [], p, p.subName, () => structuredClone(p.value!)) } : r));
      return;
    case 'HTTP_FILTER':
      res.listeners = res.listeners.map((l) => (named(p.name)(l) ? mapConnectionManagers(l, (hcm) => ({ ...hcm, http_filters: patchHttpFilters(hcm.http_filters ?? [], p) })) : l));
  }
}

/**
 * The last translation stage: each EnvoyFilter patch that reaches the view, in order, applied to
 * the rendered resources. Pure; a patch that matches nothing does nothing (as in Istio). What a
 * patch produces is checked like everything else: strict decoding, consistency and pre-flight.
 */
export function applyEnvoyFilters(res: PatchableResources, ir: MeshIR, view: View): PatchableResources {
  const out = { ...res };
  for (const filter of ir.envoyFilters ?? []) {
    for (const p of filter.patches) if (reaches(ir, filter, p, view)) applyPatch(out, p);
  }
  if (out.clusters !== res.clusters) {
    const eds = new Set(out.clusters.filter((c) => c.type === 'EDS').map((c) => c.eds_cluster_config?.service_name ?? c.name));
    out.endpoints = res.endpoints.filter((e) => eds.has(e.cluster_name));
  }
  return out;
}

/** The EnvoyFilter that last patched a rendered resource (and its patches that did), to point pre-flight errors at it. */
export function patchSource(ir: MeshIR, view: View, type: ResourceType, name: string): SourceRef | undefined {
  const hits: { source: string; path: string }[] = [];
  for (const filter of ir.envoyFilters ?? []) {
    for (const p of filter.patches) {
      if (TYPE_OF[p.applyTo] !== type || !reaches(ir, filter, p, view)) continue;
      const adds = p.operation === 'ADD' && (p.applyTo === 'CLUSTER' || p.applyTo === 'LISTENER');
      if (adds ? p.value?.name === name : p.name === undefined || p.name === name) hits.push({ source: filter.source, path: p.path });
    }
  }
  const last = hits.at(-1)?.source;
  return last ? { object: last, objectPath: hits.filter((h) => h.source === last).map((h) => h.path).join(', ') } : undefined;
}

import { HCM_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { EnvoyPatchIR, PatchTarget } from '../ir/envoy-filter';
import { HCM_FILTER_NAME, ROUTER_FILTER_NAME } from '../intent/envoy-filter-targets';
import { filterChainMatches, httpFilterName, listenerMatches, networkFilterName } from './patch-match';
import { addNamed, mergeFilter, placeInList, removeOrMerge } from './patch-lists';

type Json = Record<string, any>;
type Patches = Partial<Record<PatchTarget, EnvoyPatchIR[]>>;

const named = (name: string | undefined) => (name === undefined ? undefined : (f: Json) => f.name === name);

/** HTTP filters: ADD, REMOVE and INSERT_* in order, then each filter through the MERGEs, as Istio does. */
function patchHttpFilters(hcm: Json, patches: EnvoyPatchIR[]): Json {
  let filters: Json[] = hcm.http_filters ?? [];
  for (const p of patches) {
    if (p.operation === 'MERGE') continue;
    if (p.operation === 'ADD') {
      // After the others but before the router, which Envoy requires last (Istio appends after it).
      const router = filters.findIndex((f) => f.name === ROUTER_FILTER_NAME);
      filters = router === -1 ? [...filters, structuredClone(p.value!)] : [...filters.slice(0, router), structuredClone(p.value!), ...filters.slice(router)];
    } else {
      filters = placeInList(filters, p.operation, p.value ?? {}, p.operation === 'INSERT_FIRST' ? undefined : named(httpFilterName(p.listener)));
    }
  }
  const merges = patches.filter((p) => p.operation === 'MERGE');
  filters = filters.map((f) => merges.reduce((out, p) => (httpFilterName(p.listener) === out.name ? mergeFilter(out, p.value!) : out), f));
  return { ...hcm, http_filters: filters };
}

/** One network filter through the NETWORK_FILTER MERGEs; an HTTP connection manager then through the HTTP filter patches. */
function patchNetworkFilter(filter: Json, merges: EnvoyPatchIR[], http: EnvoyPatchIR[]): Json {
  let out = merges.reduce((f, p) => (networkFilterName(p.listener) === f.name ? mergeFilter(f, p.value!) : f), filter);
  const reaching = http.filter((p) => networkFilterName(p.listener) === undefined || networkFilterName(p.listener) === out.name);
  if (out.name === HCM_FILTER_NAME && out.typed_config?.['@type'] === HCM_TYPE && reaching.length) out = { ...out, typed_config: patchHttpFilters(out.typed_config, reaching) };
  return out;
}

function patchFilterChain(listener: Json, chain: Json, patches: Patches): Json {
  const reaching = (target: PatchTarget) => (patches[target] ?? []).filter((p) => listenerMatches(listener, p.listener) && filterChainMatches(chain, p.listener?.filterChain));
  const network = reaching('NETWORK_FILTER');
  let filters: Json[] = chain.filters;
  for (const p of network) {
    if (p.operation !== 'MERGE') filters = placeInList(filters, p.operation, p.value ?? {}, p.operation === 'INSERT_FIRST' ? undefined : named(networkFilterName(p.listener)));
  }
  const merges = network.filter((p) => p.operation === 'MERGE');
  const http = reaching('HTTP_FILTER');
  return { ...chain, filters: filters.map((f) => patchNetworkFilter(f, merges, http)) };
}

/** Listener filters: every operation in order, a MERGE into the one named. */
function patchListenerFilters(listener: Json, patches: EnvoyPatchIR[]): Json {
  const reaching = patches.filter((p) => listenerMatches(listener, p.listener));
  if (!reaching.length) return listener;
  let filters: Json[] = listener.listener_filters ?? [];
  for (const p of reaching) {
    const name = p.listener?.listenerFilter;
    if (p.operation === 'MERGE') filters = filters.map((f) => (f.name === name ? mergeFilter(f, p.value!) : f));
    else filters = placeInList(filters, p.operation, p.value ?? {}, p.operation === 'INSERT_FIRST' ? undefined : named(name));
  }
  // Left out when there are none, as rendered.
  return filters.length || listener.listener_filters ? { ...listener, listener_filters: filters } : listener;
}

/** One rendered listener through the LISTENER patches (a REMOVE ends it), its listener filters, then its filter chains. */
function patchListener(listener: Json, patches: Patches): Json | undefined {
  let out = removeOrMerge(listener, patches.LISTENER ?? [], (l, p) => listenerMatches(l, p.listener));
  if (!out) return undefined;
  out = patchListenerFilters(out, patches.LISTENER_FILTER ?? []);
  // As Istio: chains without filters are left alone.
  const patched = out;
  const chain = (fc: Json) => (Array.isArray(fc.filters) ? patchFilterChain(patched, fc, patches) : fc);
  if (Array.isArray(out.filter_chains)) out = { ...out, filter_chains: out.filter_chains.map(chain) };
  if (out.default_filter_chain) out = { ...out, default_filter_chain: chain(out.default_filter_chain) };
  return out;
}

/** Istio's listener patching: each rendered listener down to its HTTP filters, then the added listeners, which no other patch touches. */
export function patchListeners(listeners: Json[], patches: Patches): Json[] {
  let out = listeners.map((l) => patchListener(l, patches)).filter((l): l is Json => l !== undefined);
  for (const p of patches.LISTENER ?? []) if (p.operation === 'ADD') out = addNamed(out, { '@type': RESOURCE_TYPES.listeners, ...structuredClone(p.value!) });
  return out;
}

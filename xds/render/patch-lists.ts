import type { EnvoyPatchIR, PatchOperation } from '../ir/envoy-filter';
import { protoMerge } from './proto-merge';

type Json = Record<string, any>;

/**
 * ADD, REMOVE and the INSERT_* operations on an ordered list (filters, routes), as Istio's listener
 * and route patching place them. `matches` is absent when the patch names no element: then
 * INSERT_BEFORE inserts first, INSERT_AFTER last, and REMOVE does nothing. With a name, an
 * insertion next to nothing does nothing. INSERT_FIRST inserts first whatever it names, except
 * routes (`firstNeedsMatch`), which Istio inserts first only when the named route is there.
 */
export function placeInList(list: Json[], op: PatchOperation, value: Json, matches?: (e: Json) => boolean, firstNeedsMatch = false): Json[] {
  const added = () => structuredClone(value);
  const at = matches ? list.findIndex(matches) : -1;
  switch (op) {
    case 'ADD':
      return [...list, added()];
    case 'INSERT_FIRST':
      return firstNeedsMatch && matches && at === -1 ? list : [added(), ...list];
    case 'INSERT_BEFORE':
      if (!matches) return [added(), ...list];
      return at === -1 ? list : [...list.slice(0, at), added(), ...list.slice(at)];
    case 'INSERT_AFTER':
      if (!matches) return [...list, added()];
      return at === -1 ? list : [...list.slice(0, at + 1), added(), ...list.slice(at + 1)];
    case 'REMOVE':
      return matches ? list.filter((e) => !matches(e)) : list;
    case 'MERGE':
      return list;
  }
}

/** Adds a named resource; one of the same name is replaced (a snapshot or route configuration holds one per name). */
export function addNamed(list: Json[], resource: Json): Json[] {
  return [...list.filter((r) => r.name !== resource.name), resource];
}

/** An Any merged as Istio's MergeAnyWithAny does: fields of the same type merge (another type replaces it here). */
export function mergeAny(dst: Json, src: Json): Json {
  return protoMerge({ any: dst }, { any: src }).any as Json;
}

/**
 * Istio's MERGE of a listener, network or HTTP filter: its typed_config merged with the patch's, and
 * nothing else; a filter without typed_config is left alone.
 */
export function mergeFilter(filter: Json, value: Json): Json {
  if (!filter.typed_config || !value.typed_config) return filter;
  return { ...filter, typed_config: mergeAny(filter.typed_config, value.typed_config) };
}

/** One element through the REMOVE and MERGE patches in order, as Istio walks them: undefined once a REMOVE matches. */
export function removeOrMerge(element: Json, patches: readonly EnvoyPatchIR[], matches: (e: Json, p: EnvoyPatchIR) => boolean, merge: (e: Json, value: Json) => Json = protoMerge): Json | undefined {
  let current = element;
  for (const p of patches) {
    if ((p.operation !== 'REMOVE' && p.operation !== 'MERGE') || !matches(current, p)) continue;
    if (p.operation === 'REMOVE') return undefined;
    current = merge(current, p.value!);
  }
  return current;
}

import type { BridgeTypeChanges, BridgeView, BridgeViewType } from './schemas';

type Json = Record<string, unknown>;

/** A resource's name as xDS keys it: `name`, or `cluster_name` for a ClusterLoadAssignment. */
export const resourceNameOf = (json: Json) => String(json.name ?? json.cluster_name ?? '');

/** Collections are sorted by name, so whole answers are: changes applied keep that order. */
const byName = (a: Json, b: Json) => {
  const [x, y] = [resourceNameOf(a), resourceNameOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

function upsertAndRemove(held: Json[], upsert: Json[], remove: string[]): Json[] {
  const byKey = new Map(held.map((r) => [resourceNameOf(r), r]));
  for (const name of remove) byKey.delete(name);
  for (const r of upsert) byKey.set(resourceNameOf(r), r);
  return [...byKey.values()].sort(byName);
}

function applyTypeChanges(view: string, typeUrl: string, held: BridgeViewType | undefined, changes: BridgeTypeChanges): BridgeViewType {
  if (!held || held.version !== changes.since) throw new Error(`view ${view}: ${typeUrl} changes since version ${changes.since}, but the bridge holds ${held ? held.version : 'none'}`);
  if (held.version === changes.version && !changes.upsert.length && !changes.remove.length && !changes.parts?.length) return held;
  let resources = upsertAndRemove(held.resources, changes.upsert, changes.remove);
  if (changes.parts?.length) {
    const byKey = new Map(resources.map((r) => [resourceNameOf(r), r]));
    for (const part of changes.parts) {
      const resource = byKey.get(part.name);
      const hosts = resource?.virtual_hosts;
      if (!Array.isArray(hosts)) throw new Error(`view ${view}: virtual hosts of ${part.name} changed, but the bridge holds no such RouteConfiguration`);
      // The frame holds `virtual_hosts` (empty) where the whole resource has it: the key order stays the edge's.
      byKey.set(part.name, { ...part.frame, virtual_hosts: upsertAndRemove(hosts as Json[], part.upsert, part.remove) });
    }
    resources = [...byKey.values()];
  }
  return { version: changes.version, resources };
}

/**
 * The whole view a bridge holds after the edge's answer: the answer itself when it is whole, else the
 * held view with the answer's changes applied, resource for resource what the whole answer would be.
 * Throws when the changes are not from what the bridge holds (the caller then asks for the view whole).
 */
export function applyViewChanges(view: string, held: BridgeView | undefined, incoming: BridgeView): BridgeView {
  const { since, changes, ...whole } = incoming;
  if (since === undefined) return whole;
  if (held?.index !== since) throw new Error(`view ${view}: changes since index ${since}, but the bridge holds ${held?.index ?? 'no index'}`);
  const types: Record<string, BridgeViewType> = { ...incoming.types };
  for (const [typeUrl, c] of Object.entries(changes ?? {})) types[typeUrl] = applyTypeChanges(view, typeUrl, held.types[typeUrl], c);
  return { ...whole, types };
}

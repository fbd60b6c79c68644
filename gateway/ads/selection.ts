import type { EncodedResource, EncodedType } from '../snapshot/types';
import type { Subscription } from './subscription';

const MAX_SELECTIONS = 1024;

/**
 * What a subscription selects from a type, memoised on the (immutable) type snapshot: streams with
 * equal subscriptions share one map, so a thousand idle streams hold references, not copies.
 */
export function selectFrom(t: EncodedType, sub: Subscription): { resources: ReadonlyMap<string, EncodedResource>; missing: string[]; key: string } {
  const all = sub.wildcard && sub.names.size === 0;
  // A wildcard plus explicit names is rare: key it by everything it selects.
  const key = all ? '*' : sub.wildcard ? `*=${[...new Set(sub.select(t.resources.keys()))].sort().join('\n')}` : sub.namesKey();
  let selection = t.selections.get(key);
  if (!selection) {
    const names = all ? undefined : [...new Set(sub.select(t.resources.keys()))].sort();
    const resources = names ? new Map<string, EncodedResource>() : t.resources;
    const missing: string[] = [];
    for (const name of names ?? []) {
      const r = t.resources.get(name);
      if (r) (resources as Map<string, EncodedResource>).set(name, r);
      else missing.push(name);
    }
    if (t.selections.size >= MAX_SELECTIONS) t.selections.clear();
    t.selections.set(key, (selection = { resources, missing, key }));
  }
  return selection;
}

import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import { decodeChunk } from './chunk';
import { getView, itemText, type PublishedView, type Variant } from './published-view';
import type { PublishedRoot } from './root';
import type { BlobStore, Collection, Item } from './types';

/** One published resource that differs between two roots. */
export interface PublishedChange {
  view: string;
  variant: Variant;
  type: ResourceType;
  name: string;
  op: 'added' | 'changed' | 'removed';
  /** Whole text after the change (absent when removed). */
  after?: string;
  /** Whole text before the change (absent when added). */
  before?: string;
}

/**
 * Items of the chunks one collection has and the other lacks. Names are unique within a collection and
 * chunks are content-addressed, so a name found on one side only was added or removed, and a name on
 * both sides changed unless its hash is the same.
 */
export async function residue(store: BlobStore, col: Collection | undefined, other: Collection | undefined): Promise<Map<string, Item>> {
  const shared = new Set(other?.chunks.map((c) => c.key));
  const out = new Map<string, Item>();
  for (const ref of col?.chunks ?? []) {
    if (shared.has(ref.key)) continue;
    const content = await store.get(ref.key);
    if (content === undefined) throw new Error(`published chunk ${ref.key} is missing`);
    for (const item of decodeChunk(content)) out.set(item.name, item);
  }
  return out;
}

/**
 * What changed between two published roots, view by view (of `variants`), reading only the chunks the
 * two do not share: a revision's diff costs what the revision changed.
 */
export async function diffPublished(store: BlobStore, before: PublishedRoot | undefined, after: PublishedRoot, variants: Variant[] = ['ads']): Promise<PublishedChange[]> {
  const changes: PublishedChange[] = [];
  const slots = new Set([...Object.keys(before?.views ?? {}), ...Object.keys(after.views)]);
  for (const slot of [...slots].sort()) {
    const variant = slot.slice(slot.lastIndexOf('#') + 1) as Variant;
    if (!variants.includes(variant)) continue;
    const view = slot.slice(0, slot.lastIndexOf('#'));
    if (before?.views[slot] === after.views[slot]) continue;
    const a: PublishedView | undefined = before?.views[slot] ? await getView(store, before.views[slot]!) : undefined;
    const b: PublishedView | undefined = after.views[slot] ? await getView(store, after.views[slot]!) : undefined;
    for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
      const was = await residue(store, a?.types[type].items, b?.types[type].items);
      const now = await residue(store, b?.types[type].items, a?.types[type].items);
      for (const name of [...new Set([...was.keys(), ...now.keys()])].sort()) {
        const x = was.get(name);
        const y = now.get(name);
        if (x && y && x.hash === y.hash) continue;
        const op = x && y ? 'changed' : y ? 'added' : 'removed';
        changes.push({ view, variant, type, name, op, ...(y ? { after: await itemText(store, y) } : {}), ...(x ? { before: await itemText(store, x) } : {}) });
      }
    }
  }
  return changes;
}

import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import { residue } from './diff-published';
import { getComposite, isCompositeItem, itemText, type PublishedView } from './published-view';
import type { BlobStore } from './types';

/** The virtual hosts of one composite RouteConfiguration that changed (see published-view.ts Composite). */
export interface PartChanges {
  name: string;
  /** The resource's JSON text with `virtual_hosts` empty (the composite's frame, always sent: it is small). */
  frame: string;
  /** Texts of the virtual hosts added or replaced. */
  upsert: string[];
  remove: string[];
}

/** What one type of a published view changed from an earlier one: whole resources, and composites part by part. */
export interface TypeChanges {
  /** Texts of the resources added or replaced whole. */
  upsert: string[];
  remove: string[];
  parts: PartChanges[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The changes that turn `before` into `after` (two published forms of one view), reading only the
 * chunks the two do not share: a one-object change costs a few chunks to find and kilobytes to send,
 * whatever the view's size. A RouteConfiguration published as a composite on both sides is diffed by
 * its virtual hosts, so one service's route change sends one virtual host, not the mesh's routes.
 */
export async function viewChanges(store: BlobStore, before: PublishedView, after: PublishedView): Promise<Record<ResourceType, TypeChanges>> {
  const out = {} as Record<ResourceType, TypeChanges>;
  for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
    const changes: TypeChanges = { upsert: [], remove: [], parts: [] };
    out[type] = changes;
    if (before.types[type].version === after.types[type].version) continue;
    const was = await residue(store, before.types[type].items, after.types[type].items);
    const now = await residue(store, after.types[type].items, before.types[type].items);
    for (const name of [...new Set([...was.keys(), ...now.keys()])].sort(byName)) {
      const x = was.get(name);
      const y = now.get(name);
      if (!y) changes.remove.push(name);
      else if (x?.hash === y.hash) continue;
      else if (x && isCompositeItem(x) && isCompositeItem(y)) {
        const [a, b] = await Promise.all([getComposite(store, x), getComposite(store, y)]);
        const partsWas = await residue(store, a.parts, b.parts);
        const partsNow = await residue(store, b.parts, a.parts);
        const part: PartChanges = { name, frame: b.prefix + b.suffix, upsert: [], remove: [] };
        for (const p of [...new Set([...partsWas.keys(), ...partsNow.keys()])].sort(byName)) {
          const px = partsWas.get(p);
          const py = partsNow.get(p);
          if (!py) part.remove.push(p);
          else if (px?.hash !== py.hash) part.upsert.push(py.text);
        }
        changes.parts.push(part);
      } else changes.upsert.push(await itemText(store, y));
    }
  }
  return out;
}

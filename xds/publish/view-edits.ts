import { hostOfClusterName } from '../envoy/names';
import type { ResourceType } from '../envoy/type-urls';
import { hashContent } from '../render/hash';
import type { renderView } from '../render/render';
import { spliceCollection, type CollectionEdit } from './collection';
import { flagsOf, isCompositeItem, publishedType, type PublishedView, type Variant } from './published-view';
import type { BlobStore, Item } from './types';

/* What splicing a published view is made of: edits of its collections, computed from renders before and after a change. */

export type Json = Record<string, unknown>;
export type Rendered = ReturnType<typeof renderView>;

/** A resource the change adds or changes, in one published view (what pre-flight validates and a dry run shows). */
export interface ChangedResource {
  view: string;
  variant: Variant;
  type: ResourceType;
  name: string;
  op: 'added' | 'changed';
  /** The resource after the change; for a composite route configuration, its frame with the changed virtual hosts only. */
  json: Json;
}

/** The host a host-owned resource belongs to: `outbound|port|subset|host` clusters and assignments, `host[:port]` targets and virtual hosts. */
export function ownerHost(type: ResourceType, name: string): string | undefined {
  if (type === 'clusters' || type === 'endpoints') return hostOfClusterName(name);
  return name.includes(':') ? name.slice(0, name.lastIndexOf(':')) : name;
}

export interface PendingEdit {
  edit: CollectionEdit;
  /** The items written (to update the type's flags). */
  items: Item[];
}

/** Host-owned resources: what the reached hosts had before is replaced by what they have after. */
export type Note = (name: string, json?: Json, op?: ChangedResource['op']) => void;

export function hostEdit(type: ResourceType, before: Rendered, after: Rendered, hosts: Set<string>, note: Note): PendingEdit {
  const owned = (r: Rendered) => [...r.types[type].resources.values()].filter((res) => hosts.has(ownerHost(type, res.name) ?? ''));
  const was = new Map(owned(before).map((r) => [r.name, r]));
  const remove: string[] = [];
  const upsert: Item[] = [];
  const now = owned(after);
  const names = new Set(now.map((r) => r.name));
  for (const name of was.keys()) if (!names.has(name)) remove.push(name), note(name);
  for (const r of now) {
    const text = JSON.stringify(r.json);
    if (was.has(r.name) && JSON.stringify(was.get(r.name)!.json) === text) continue;
    upsert.push({ name: r.name, text, hash: hashContent(text) });
    note(r.name, r.json, was.has(r.name) ? 'changed' : 'added');
  }
  return { edit: { remove, upsert }, items: upsert };
}

export async function applyEdit(store: BlobStore, type: PublishedView['types'][ResourceType], pending: PendingEdit): Promise<PublishedView['types'][ResourceType]> {
  const items = await spliceCollection(store, type.items, pending.edit);
  if (items === type.items) return type;
  // Flags are sticky within a type: an item that stops needing them leaves them set, which only costs a slower path.
  const flags = flagsOf(pending.items);
  return publishedType(items, { templated: type.templated || flags.templated, composites: type.composites || pending.items.some(isCompositeItem) });
}

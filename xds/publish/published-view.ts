import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import { hashContent } from '../render/hash';
import { contentKey } from './chunk';
import { buildCollection, collectionItems, findItems } from './collection';
import { addSums, collectionVersion } from './version';
import type { BlobStore, ChunkRef, Collection, Item } from './types';

/**
 * REST pollers' config sources name the poller's own xDS cluster (the Host of its polls) and the
 * refresh delay: a REST view is published once with these placeholders and the edge puts the poller's
 * values in as it streams the answer. Both are plain cluster-name characters, so JSON keeps them as they are.
 */
export const XDS_CLUSTER_PLACEHOLDER = 'xdsflare-xds-cluster-5e0c2b7a9d41';
export const REFRESH_DELAY_PLACEHOLDER = 'xdsflare-refresh-delay-5e0c2b7a9d41';

/** How a view's config sources are written: for REST pollers (with the placeholders) or for ADS (the bridge's clients). */
export type Variant = 'rest' | 'ads';

/** A RouteConfiguration with more virtual hosts than this is published as a composite (see below). */
export const COMPOSITE_MIN_PARTS = 16;

/** One type of a published view. */
export interface PublishedType {
  /** Depends on the items alone (see version.ts). */
  version: string;
  items: Collection;
  /** Some item holds a REST placeholder: the answer must be streamed through the substitution. */
  templated: boolean;
  /** Some item is a composite: its body cannot be passed through chunk by chunk. */
  composites: boolean;
}

export interface PublishedView {
  view: string;
  variant: Variant;
  types: Record<ResourceType, PublishedType>;
}

/**
 * A RouteConfiguration of a large mesh holds a virtual host per service on its port: thousands. It is
 * published as its JSON text cut around `virtual_hosts` (prefix, suffix) and its virtual hosts as a
 * collection of their own, so one service's change rewrites one chunk of them, not the whole resource.
 * Its item in the routes collection says where the composite is.
 */
export interface Composite {
  prefix: string;
  suffix: string;
  parts: Collection;
}

const COMPOSITE_MARK = '{"$composite":';
const PARTS_MARK = '"\\u0000parts\\u0000"';

export const isCompositeItem = (item: Item) => item.text.startsWith(COMPOSITE_MARK);
const compositeKeyOf = (item: Item) => (JSON.parse(item.text) as { $composite: string }).$composite;

/** The composite's hash: of its frame and its parts' version, so it changes exactly when its text would. */
const compositeHash = (c: Composite) => hashContent(`${c.prefix}\u0000${collectionVersion(c.parts.count, sumOf(c.parts))}\u0000${c.suffix}`);

export const sumOf = (col: Collection) => addSums(...col.chunks.map((c) => c.sum));

/** A RouteConfiguration's JSON cut around its virtual hosts (whatever other fields it has stay in the frame). */
export function compositeFrame(json: Record<string, unknown>): { prefix: string; suffix: string } {
  const text = JSON.stringify({ ...json, virtual_hosts: ['\u0000parts\u0000'] });
  const at = text.indexOf(PARTS_MARK);
  return { prefix: text.slice(0, at), suffix: text.slice(at + PARTS_MARK.length) };
}

export async function putComposite(store: BlobStore, name: string, composite: Composite): Promise<Item> {
  const content = JSON.stringify(composite);
  const key = await contentKey('r', content);
  await store.put(key, content);
  return { name, text: `${COMPOSITE_MARK}${JSON.stringify(key)}}`, hash: compositeHash(composite) };
}

export async function getComposite(store: BlobStore, item: Item): Promise<Composite> {
  const key = compositeKeyOf(item);
  const content = await store.get(key);
  if (content === undefined) throw new Error(`published composite ${key} is missing`);
  return JSON.parse(content) as Composite;
}

/** A rendered resource as a published item: route configurations with many virtual hosts become composites. */
export async function itemOf(store: BlobStore, type: ResourceType, name: string, json: Record<string, unknown>): Promise<Item> {
  const vhosts = type === 'routes' ? (json.virtual_hosts as Record<string, unknown>[] | undefined) : undefined;
  // Parts are a collection, sorted by name: a route configuration whose hosts are not (none we render) stays whole.
  if (vhosts && vhosts.length > COMPOSITE_MIN_PARTS && vhosts.every((vh, i) => i === 0 || (vhosts[i - 1]!.name as string) < (vh.name as string))) {
    const parts = await buildCollection(
      store,
      vhosts.map((vh) => {
        const text = JSON.stringify(vh);
        return { name: vh.name as string, text, hash: hashContent(text) };
      }),
    );
    return putComposite(store, name, { ...compositeFrame(json), parts });
  }
  const text = JSON.stringify(json);
  return { name, text, hash: hashContent(text) };
}

/** The published form of one type's items. */
export function publishedType(items: Collection, flags: { templated: boolean; composites: boolean }): PublishedType {
  return { version: collectionVersion(items.count, sumOf(items)), items, ...flags };
}

/** Rendered resources of one view: per type, by name (what xds/render produces). */
export type RenderedTypes = Record<ResourceType, { resources: Map<string, { name: string; json: Record<string, unknown> }> }>;

/** Publishes one rendered view: its items in collections, the index returned (the caller stores it). */
export async function publishView(store: BlobStore, rendered: RenderedTypes, view: string, variant: Variant): Promise<PublishedView> {
  const types = {} as Record<ResourceType, PublishedType>;
  for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
    const resources = [...rendered[type].resources.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const items = await Promise.all(resources.map((r) => itemOf(store, type, r.name, r.json)));
    types[type] = publishedType(await buildCollection(store, items), flagsOf(items));
  }
  return { view, variant, types };
}

export const flagsOf = (items: Item[]) => ({
  templated: items.some((i) => i.text.includes(XDS_CLUSTER_PLACEHOLDER) || i.text.includes(REFRESH_DELAY_PLACEHOLDER)),
  composites: items.some(isCompositeItem),
});

/** Stores a view index; its key names it in a root manifest. */
export async function putView(store: BlobStore, view: PublishedView): Promise<string> {
  const content = JSON.stringify(view);
  const key = await contentKey('v', content);
  await store.put(key, content);
  return key;
}

export async function getView(store: BlobStore, key: string): Promise<PublishedView> {
  const content = await store.get(key);
  if (content === undefined) throw new Error(`published view ${key} is missing`);
  return JSON.parse(content) as PublishedView;
}

/** A piece of a streamed answer: literal text, or a stored chunk's body (its items' texts joined by ','). */
export type BodyPiece = { text: string } | { chunk: ChunkRef };

/** The resources of a type as body pieces, comma-separated: chunk bodies passed through, composites expanded. */
export async function* resourcePieces(store: BlobStore, type: PublishedType): AsyncGenerator<BodyPiece> {
  let first = true;
  for (const ref of type.items.chunks) {
    if (!first) yield { text: ',' };
    first = false;
    if (!type.composites) {
      yield { chunk: ref };
      continue;
    }
    let firstItem = true;
    for await (const item of collectionItems(store, { ...type.items, chunks: [ref] })) {
      if (!firstItem) yield { text: ',' };
      firstItem = false;
      yield* itemPieces(store, item);
    }
  }
}

/** One item's text as body pieces (a composite as its frame around its parts' chunks). */
export async function* itemPieces(store: BlobStore, item: Item): AsyncGenerator<BodyPiece> {
  if (!isCompositeItem(item)) {
    yield { text: item.text };
    return;
  }
  const composite = await getComposite(store, item);
  yield { text: composite.prefix };
  let first = true;
  for (const ref of composite.parts.chunks) {
    if (!first) yield { text: ',' };
    first = false;
    yield { chunk: ref };
  }
  yield { text: composite.suffix };
}

/** The named items of a type that exist, in the order asked (each once): what an EDS or RDS answer holds. */
export async function namedItems(store: BlobStore, type: PublishedType, names: string[]): Promise<Item[]> {
  const found = await findItems(store, type.items, names);
  const seen = new Set<string>();
  return names.flatMap((n) => {
    const item = found.get(n);
    if (!item || seen.has(n)) return [];
    seen.add(n);
    return [item];
  });
}

/** An item's whole text (a composite expanded): for tests and for callers that need the resource itself. */
export async function itemText(store: BlobStore, item: Item): Promise<string> {
  let text = '';
  for await (const piece of itemPieces(store, item)) text += 'text' in piece ? piece.text : await chunkBody(store, piece.chunk);
  return text;
}

/** A chunk's body (without its meta line). */
export async function chunkBody(store: BlobStore, ref: ChunkRef): Promise<string> {
  const content = await store.get(ref.key);
  if (content === undefined) throw new Error(`published chunk ${ref.key} is missing`);
  return content.slice(content.indexOf('\n') + 1);
}

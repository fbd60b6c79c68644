import type { ResourceType } from '../envoy/type-urls';
import { BLOCK_ALL } from '../ir/sidecar-scope';
import { hashContent } from '../render/hash';
import { collectionItems, spliceCollection } from './collection';
import { compositeFrame, COMPOSITE_MIN_PARTS, getComposite, isCompositeItem, itemOf, putComposite } from './published-view';
import type { BlobStore, Item } from './types';

type Json = Record<string, unknown>;

/**
 * A route configuration with some virtual hosts removed and some added or replaced, published as
 * publishing the result whole would (inline up to COMPOSITE_MIN_PARTS hosts, a composite past it); a
 * composite has its parts spliced, so a large one costs the chunks the change falls in. Undefined when
 * no virtual host is left. `json` is what pre-flight validates: the frame with the new hosts only.
 */
export async function editComposite(store: BlobStore, type: ResourceType, name: string, frame: Json, had: Item | undefined, gone: string[], fresh: Json[]): Promise<{ item: Item; json: Json } | undefined> {
  const json = { ...frame, virtual_hosts: fresh };
  const freshItems = fresh.map((vh): Item => {
    const text = JSON.stringify(vh);
    return { name: vh.name as string, text, hash: hashContent(text) };
  });
  if (had && isCompositeItem(had)) {
    const composite = await getComposite(store, had);
    const parts = await spliceCollection(store, composite.parts, { remove: gone, upsert: freshItems });
    if (parts.count === 0) return undefined;
    const { prefix, suffix } = compositeFrame(frame);
    if (parts.count > COMPOSITE_MIN_PARTS) return { item: await putComposite(store, name, { prefix, suffix, parts }), json };
    const texts: string[] = [];
    for await (const part of collectionItems(store, parts)) texts.push(part.text);
    const text = prefix + texts.join(',') + suffix;
    return { item: { name, text, hash: hashContent(text) }, json };
  }
  const vhosts = new Map(((had ? (JSON.parse(had.text) as Json).virtual_hosts : []) as Json[]).map((vh) => [vh.name as string, vh]));
  for (const n of gone) vhosts.delete(n);
  for (const vh of fresh) vhosts.set(vh.name as string, vh);
  if (!vhosts.size) return undefined;
  // By name, as rendered; a REGISTRY_ONLY Sidecar's block_all comes last, as its scope appends it.
  const rank = (vh: Json) => (vh.name === BLOCK_ALL ? '\uffff' : (vh.name as string));
  const sorted = [...vhosts.values()].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
  return { item: await itemOf(store, type, name, { ...frame, virtual_hosts: sorted }), json };
}

import { decodeChunk, encodeChunk } from './chunk';
import type { BlobStore, ChunkRef, Collection, Item } from './types';

/**
 * Sorted item collections in content-defined chunks. A chunk ends after an item whose name hashes to 0
 * modulo k (or once it holds MAX_CHUNK_CHARS), so where chunks break depends only on the items: an edit
 * rewrites the chunks around it and the rest are kept by reference, and splicing gives byte for byte the
 * chunks a build from scratch would (the tests hold it to that). k is a power of two chosen so a
 * collection has tens of chunks whatever its size: reads per collection stay bounded as the mesh grows.
 */

/** A chunk holding this many UTF-16 code units is cut regardless of names (one huge resource alone is fine). */
export const MAX_CHUNK_CHARS = 1 << 20;
/** Collections aim at this many chunks; k is re-chosen only when the count drifts 2× away from it (a rechunk per doubling). */
export const TARGET_CHUNKS = 64;
const MIN_K = 8;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The boundary modulus for a collection of `count` items: a power of two near count / TARGET_CHUNKS. */
export function chooseK(count: number): number {
  let k = MIN_K;
  while (k * 2 * TARGET_CHUNKS <= count) k *= 2;
  return k;
}

/** Whether `k` still suits `count` items (hysteresis, so a count hovering at a power of two does not rechunk each write). */
const kFits = (k: number, count: number) => k === chooseK(count) || (count / k <= TARGET_CHUNKS * 2 && (k === MIN_K || count / k >= TARGET_CHUNKS / 2));

/** Cuts a sorted stream of items into chunks, writing each as it is completed. */
class Chunker {
  private items: Item[] = [];
  private chars = 0;
  readonly refs: ChunkRef[] = [];
  private readonly writes: Promise<void>[] = [];

  constructor(
    private readonly store: BlobStore,
    private readonly k: number,
  ) {}

  get empty(): boolean {
    return this.items.length === 0;
  }

  private lastName: string | undefined;

  /** Adds an item; true when the chunk was cut after it. */
  push(item: Item): boolean {
    if (this.lastName !== undefined && byName(this.lastName, item.name) >= 0) throw new Error(`collection items out of order: ${this.lastName} before ${item.name}`);
    this.lastName = item.name;
    this.items.push(item);
    this.chars += item.text.length + 1;
    if ((fnv1a(item.name) & (this.k - 1)) === 0 || this.chars >= MAX_CHUNK_CHARS) {
      this.cut();
      return true;
    }
    return false;
  }

  /** Keeps an existing chunk as it is (the caller knows the chunker is empty and the chunk unchanged). */
  reuse(ref: ChunkRef): void {
    this.lastName = ref.last;
    this.refs.push(ref);
  }

  private cut(): void {
    const items = this.items;
    this.items = [];
    this.chars = 0;
    const index = this.refs.length;
    this.refs.push(undefined as unknown as ChunkRef);
    this.writes.push(
      encodeChunk(items).then(async ({ ref, content }) => {
        this.refs[index] = ref;
        await this.store.put(ref.key, content);
      }),
    );
  }

  async finish(): Promise<Collection> {
    if (this.items.length) this.cut();
    await Promise.all(this.writes);
    return {
      k: this.k,
      count: this.refs.reduce((n, r) => n + r.n, 0),
      bytes: this.refs.reduce((n, r) => n + r.bodyBytes, 0),
      chunks: this.refs,
    };
  }
}

/** A collection of the given items (sorted by name, names unique). */
export async function buildCollection(store: BlobStore, items: Iterable<Item>, k?: number): Promise<Collection> {
  const list = Array.isArray(items) ? (items as Item[]) : [...items];
  const chunker = new Chunker(store, k ?? chooseK(list.length));
  let previous: string | undefined;
  for (const item of list) {
    if (previous !== undefined && byName(previous, item.name) >= 0) throw new Error(`collection items out of order: ${previous} before ${item.name}`);
    previous = item.name;
    chunker.push(item);
  }
  return chunker.finish();
}

export const emptyCollection = (): Collection => ({ k: MIN_K, count: 0, bytes: 0, chunks: [] });

async function loadChunk(store: BlobStore, ref: ChunkRef): Promise<Item[]> {
  const content = await store.get(ref.key);
  if (content === undefined) throw new Error(`published chunk ${ref.key} is missing`);
  return decodeChunk(content);
}

/** Index of the chunk that holds `name` or would: the first whose last name is not before it (else the last chunk). */
function chunkFor(chunks: ChunkRef[], name: string): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byName(chunks[mid]!.last, name) >= 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** What a write changes in one collection: names to remove and items to add or replace. */
export interface CollectionEdit {
  remove?: Iterable<string>;
  upsert?: Iterable<Item>;
}

/**
 * The collection after `edit`, reading and rewriting only the chunks the edit falls in (and, until the
 * content-defined boundaries line up again, the ones after them).
 */
export async function spliceCollection(store: BlobStore, col: Collection, edit: CollectionEdit): Promise<Collection> {
  const upserts = new Map<string, Item>();
  for (const item of edit.upsert ?? []) upserts.set(item.name, item);
  const removed = new Set(edit.remove ?? []);
  for (const name of upserts.keys()) removed.delete(name);
  if (!upserts.size && !removed.size) return col;
  const pending = [...upserts.values()].sort((a, b) => byName(a.name, b.name));
  const touched = new Set<number>();
  if (col.chunks.length) for (const name of [...upserts.keys(), ...removed]) touched.add(chunkFor(col.chunks, name));

  // Removing a name that is not there changes nothing; counting first keeps k's choice exact.
  const loaded = new Map<number, Promise<Item[]>>([...touched].map((i) => [i, loadChunk(store, col.chunks[i]!)]));
  let count = col.count + pending.length;
  for (const i of touched) for (const item of await loaded.get(i)!) if (removed.has(item.name) || upserts.has(item.name)) count--;
  // A count that left the band k suits rewrites every chunk with a new k.
  const k = kFits(col.k, count) ? col.k : chooseK(count);
  const rewriteAll = k !== col.k;
  const chunker = new Chunker(store, k);
  const replaced = (name: string) => removed.has(name) || upserts.has(name);
  let next = 0;
  for (let i = 0; i < col.chunks.length; i++) {
    const ref = col.chunks[i]!;
    if (!rewriteAll && chunker.empty && !touched.has(i)) {
      chunker.reuse(ref);
      continue;
    }
    for (const item of await (loaded.get(i) ?? loadChunk(store, ref))) {
      // Upserts up to this name, a replacement in its place included.
      while (next < pending.length && byName(pending[next]!.name, item.name) <= 0) chunker.push(pending[next++]!);
      if (!replaced(item.name)) chunker.push(item);
    }
  }
  // Names past the old last one.
  while (next < pending.length) chunker.push(pending[next++]!);
  return chunker.finish();
}

/** Every item, in order, one chunk in memory at a time. */
export async function* collectionItems(store: BlobStore, col: Collection): AsyncGenerator<Item> {
  for (const ref of col.chunks) yield* await loadChunk(store, ref);
}

/** The items of the given names that exist, in the order asked (duplicates once). */
export async function findItems(store: BlobStore, col: Collection, names: Iterable<string>): Promise<Map<string, Item>> {
  const wanted = new Map<number, Set<string>>();
  for (const name of names) {
    if (!col.chunks.length) break;
    const i = chunkFor(col.chunks, name);
    const ref = col.chunks[i]!;
    if (byName(ref.first, name) > 0 || byName(ref.last, name) < 0) continue;
    if (!wanted.has(i)) wanted.set(i, new Set());
    wanted.get(i)!.add(name);
  }
  const found = new Map<string, Item>();
  await Promise.all(
    [...wanted].map(async ([i, set]) => {
      for (const item of await loadChunk(store, col.chunks[i]!)) if (set.has(item.name)) found.set(item.name, item);
    }),
  );
  return found;
}

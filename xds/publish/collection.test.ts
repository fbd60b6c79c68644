import { describe, expect, it } from 'vitest';
import { hashContent } from '../render/hash';
import { buildCollection, chooseK, collectionItems, emptyCollection, findItems, MAX_CHUNK_CHARS, spliceCollection, TARGET_CHUNKS } from './collection';
import { MemoryBlobStore as MemoryStore } from './memory-store';
import type { BlobStore, Collection, Item } from './types';

const item = (name: string, body = `{"name":${JSON.stringify(name)}}`): Item => ({ name, text: body, hash: hashContent(body) });
const names = (n: number, prefix = 'outbound|8080||svc-') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}.bench.svc.cluster.local`);

/** A seeded PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function all(store: BlobStore, col: Collection) {
  const out: Item[] = [];
  for await (const i of collectionItems(store, col)) out.push(i);
  return out;
}

describe('published collections', () => {
  it('keeps every item in name order, in tens of chunks whatever the size', async () => {
    for (const n of [0, 1, 100, 3_000, 60_000]) {
      const store = new MemoryStore();
      const col = await buildCollection(store, names(n).map((x) => item(x)));
      expect(col.count).toBe(n);
      expect((await all(store, col)).map((i) => i.name)).toEqual(names(n));
      if (n >= 3_000) expect(col.chunks.length).toBeGreaterThan(16);
      if (n >= 3_000) expect(col.chunks.length).toBeLessThan(256);
    }
  });

  it('splices to exactly the chunks a build from scratch makes, rewriting only a few', async () => {
    const rand = random(7);
    const store = new MemoryStore();
    let current = names(5_000).map((x) => item(x));
    let col = await buildCollection(store, current);
    for (let round = 0; round < 40; round++) {
      const byName = new Map(current.map((i) => [i.name, i]));
      const remove: string[] = [];
      const upsert: Item[] = [];
      for (let j = 0; j < 1 + Math.floor(rand() * 5); j++) {
        const pick = current[Math.floor(rand() * current.length)]!.name;
        const roll = rand();
        if (roll < 0.3) remove.push(pick);
        else if (roll < 0.6) upsert.push(item(pick, `{"name":${JSON.stringify(pick)},"round":${round}}`));
        else upsert.push(item(`${pick}-new${round}`));
      }
      for (const r of remove) byName.delete(r);
      for (const u of upsert) byName.set(u.name, u);
      current = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      const puts = store.puts;
      col = await spliceCollection(store, col, { remove, upsert });
      const scratch = await buildCollection(new MemoryStore(), current, col.k);
      expect(col).toEqual(scratch);
      // A handful of edits rewrites a handful of chunks, not the collection.
      expect(store.puts - puts).toBeLessThanOrEqual(3 * (remove.length + upsert.length));
    }
    expect((await all(store, col)).map((i) => i.text)).toEqual(current.map((i) => i.text));
  });

  it('replaces the last item of a chunk in place, before an untouched chunk', async () => {
    const store = new MemoryStore();
    const list = names(3_000).map((x) => item(x));
    const col = await buildCollection(store, list);
    const lasts = col.chunks.slice(0, -1).map((c) => c.last);
    const spliced = await spliceCollection(store, col, { upsert: lasts.map((n) => item(n, `{"replaced":${JSON.stringify(n)}}`)) });
    const expected = list.map((i) => (lasts.includes(i.name) ? item(i.name, `{"replaced":${JSON.stringify(i.name)}}`) : i));
    expect(spliced).toEqual(await buildCollection(new MemoryStore(), expected, col.k));
  });

  it('rechunks with a new k only when the count leaves the band the old one suits', async () => {
    const store = new MemoryStore();
    const col = await buildCollection(store, names(1_000).map((x) => item(x)));
    const grown = await spliceCollection(store, col, { upsert: names(50_000, 'outbound|9090||x-').map((x) => item(x)) });
    expect(grown.k).toBe(chooseK(51_000));
    expect(grown).toEqual(await buildCollection(new MemoryStore(), await all(store, grown), grown.k));
    const same = await spliceCollection(store, grown, { upsert: [item('outbound|9090||x-extra')] });
    expect(same.k).toBe(grown.k);
    // Grown step by step, a collection keeps near TARGET_CHUNKS chunks: reads of it stay bounded.
    let stepped = emptyCollection();
    for (let n = 0; n < 8_000; n += 500) {
      stepped = await spliceCollection(store, stepped, { upsert: names(500, `s${String(n).padStart(5, '0')}-`).map((x) => item(x)) });
      expect(stepped.chunks.length).toBeLessThanOrEqual(2 * TARGET_CHUNKS * 1.3);
    }
  });

  it('cuts a chunk that would pass the size cap, and splices around oversized items', async () => {
    const store = new MemoryStore();
    const big = (name: string) => item(name, `"${'x'.repeat(MAX_CHUNK_CHARS / 3)}"`);
    const list = names(12).map(big);
    const col = await buildCollection(store, list, 1 << 20);
    expect(col.chunks.length).toBeGreaterThanOrEqual(4);
    const spliced = await spliceCollection(store, col, { remove: [list[5]!.name] });
    expect(spliced).toEqual(await buildCollection(new MemoryStore(), list.filter((_, i) => i !== 5), spliced.k));
  });

  it('finds items by name, reading only their chunks', async () => {
    const store = new MemoryStore();
    const list = names(3_000).map((x) => item(x));
    const col = await buildCollection(store, list);
    store.gets = 0;
    const found = await findItems(store, col, [list[10]!.name, list[2_999]!.name, 'nope', list[10]!.name]);
    expect([...found.keys()].sort()).toEqual([list[10]!.name, list[2_999]!.name]);
    expect(store.gets).toBeLessThanOrEqual(2);
    expect((await findItems(store, emptyCollection(), ['a'])).size).toBe(0);
  });

  it('starts from empty and empties again', async () => {
    const store = new MemoryStore();
    const filled = await spliceCollection(store, emptyCollection(), { upsert: names(10).map((x) => item(x)) });
    expect(filled.count).toBe(10);
    const emptied = await spliceCollection(store, filled, { remove: names(10) });
    expect(emptied.count).toBe(0);
    expect(emptied.chunks).toEqual([]);
  });
});

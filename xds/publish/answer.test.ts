import { expect, it } from 'vitest';
import type { IntentObject } from '../intent';
import { renderView } from '../render/render';
import { translateIntents } from '../translate/to-ir';
import { answerTexts, publishedAnswer, READ_AHEAD_BYTES, READ_AHEAD_CHUNKS, type PublishedAnswer } from './answer';
import { publishFull } from './compile-full';
import { MemoryBlobStore } from './memory-store';
import { getView } from './published-view';
import { viewSlot } from './root';
import type { BlobStore } from './types';

const services = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: `svc-${i}`, namespace: 'bench' },
    spec: { hosts: [`svc-${i}.bench.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: `10.0.${i >> 8}.${i & 255}` }] },
  })) as IntentObject[];

/** A store whose reads take a while, as R2's do, counting how many are in flight at once. */
class SlowStore implements BlobStore {
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly inner: MemoryBlobStore, readonly missing = new Set<string>()) {}
  async get(key: string) {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    if (this.missing.has(key)) throw new Error(`R2 failed reading ${key}`);
    return this.inner.get(key);
  }
  put(key: string, text: string) {
    return this.inner.put(key, text);
  }
}

async function publishedCds(n: number) {
  const { ir, errors } = translateIntents(services(n));
  expect(errors).toEqual([]);
  const memory = new MemoryBlobStore();
  const { root } = await publishFull(memory, ir, 1);
  const view = await getView(memory, root.views[viewSlot('envoy|mesh', 'ads')]!);
  const rendered = renderView(ir, { client: 'envoy', gateways: [] }, { mode: 'ads' });
  return { memory, type: view.types.clusters, expected: [...rendered.types.clusters.resources.values()].map((r) => JSON.stringify(r.json)).join(',') };
}

it('streams a many-chunk answer in order, reading a few chunks ahead and never more', async () => {
  const { memory, type, expected } = await publishedCds(600);
  expect(type.items.chunks.length).toBeGreaterThan(READ_AHEAD_CHUNKS * 2);
  const store = new SlowStore(memory);
  const names: string[] = [];
  let text = '';
  for await (const t of answerTexts(store, await publishedAnswer(store, type, undefined), undefined, (n) => names.push(...n))) text += t;
  expect(text).toBe(expected);
  expect(names).toHaveLength(600);
  // Reads overlap (R2 round trips do not add up one by one) but stay bounded.
  expect(store.maxInFlight).toBeGreaterThan(1);
  expect(store.maxInFlight).toBeLessThanOrEqual(READ_AHEAD_CHUNKS);
});

it('fails the answer on a chunk read that fails, and leaves no read unhandled when the reader stops early', async () => {
  const { memory, type } = await publishedCds(600);
  const failing = new SlowStore(memory, new Set([type.items.chunks[2]!.key]));
  const read = async () => {
    for await (const _ of answerTexts(failing, await publishedAnswer(failing, type, undefined)));
  };
  await expect(read()).rejects.toThrow(/R2 failed reading/);

  // Stopped after the first chunk while later reads (one of them failing) are in flight: no unhandled rejection.
  const stopped = new SlowStore(memory, new Set([type.items.chunks[1]!.key, type.items.chunks[3]!.key]));
  for await (const _ of answerTexts(stopped, await publishedAnswer(stopped, type, undefined))) break;
  await new Promise((r) => setTimeout(r, 20));
});

it('reads fewer chunks ahead when they are large, so the bytes held stay bounded', async () => {
  const memory = new MemoryBlobStore();
  const chunkBytes = Math.ceil(READ_AHEAD_BYTES * 0.6);
  const refs = Array.from({ length: 10 }, (_, i) => ({ key: `c/${i}`, first: `r${i}`, last: `r${i}`, n: 1, metaBytes: 0, bodyBytes: chunkBytes, sum: '0' }));
  for (const r of refs) await memory.put(r.key, `{"n":["${r.first}"]}\n"${r.first}"`);
  const answer: PublishedAnswer = {
    version: 'v',
    templated: false,
    pieces: async function* () {
      for (const [i, chunk] of refs.entries()) {
        if (i) yield { text: ',' };
        yield { chunk };
      }
    },
  };
  const store = new SlowStore(memory);
  let text = '';
  for await (const t of answerTexts(store, answer)) text += t;
  expect(text).toBe(refs.map((r) => `"${r.first}"`).join(','));
  // Two chunks of 0.6 × READ_AHEAD_BYTES: the second is read while the bound is not reached, not a third.
  expect(store.maxInFlight).toBe(2);
});

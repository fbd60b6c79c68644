import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import { hashContent } from '../render/hash';
import type { RenderedResource, RenderedView } from '../render/types';
import { collectionItems } from './collection';
import { itemPieces, itemText, namedItems, REFRESH_DELAY_PLACEHOLDER, resourcePieces, XDS_CLUSTER_PLACEHOLDER, type BodyPiece, type PublishedType, type PublishedView } from './published-view';
import type { BlobStore, Item } from './types';

/** What a REST poller's answers put in for the placeholders: its own xDS cluster and the refresh delay. */
export interface RestValues {
  xdsCluster: string;
  refreshDelay: string;
}

/** A published text with the poller's values in (identity for ADS views, which hold no placeholder). */
export const fillIn = (text: string, rest?: RestValues) =>
  rest ? text.replaceAll(XDS_CLUSTER_PLACEHOLDER, rest.xdsCluster).replaceAll(REFRESH_DELAY_PLACEHOLDER, rest.refreshDelay) : text;

/** A templated type's version differs per poller values, as its content does. */
const versionWith = (version: string, templated: boolean, rest?: RestValues) => (templated && rest ? hashContent(`${version}\n${rest.xdsCluster}\n${rest.refreshDelay}`) : version);

/** The version of the named resources of a type, asked in any order: a hash over names and content hashes. */
function namedVersion(items: Item[], names: string[]): string {
  const byName = new Map(items.map((i) => [i.name, i.hash]));
  const sorted = [...new Set(names)].sort();
  return hashContent(sorted.map((n) => `${n}=${byName.get(n) ?? '-'}`).join('\n'));
}

/** One xDS answer of a published type: its version, the names it holds, and its resources as body pieces (comma-separated). */
export interface PublishedAnswer {
  version: string;
  /** Named types: the names found, in the order asked. Undefined for full-state types (every resource). */
  names?: string[];
  pieces: () => AsyncGenerator<BodyPiece>;
  /** Pieces hold placeholders to fill in (see fillIn). */
  templated: boolean;
}

/**
 * A type's answer: every resource (CDS, LDS: full state) or exactly the names asked (EDS, RDS). The
 * version is known without reading a chunk for full-state types, so an unchanged poll reads nothing.
 */
export async function publishedAnswer(store: BlobStore, type: PublishedType, names: string[] | undefined, rest?: RestValues): Promise<PublishedAnswer> {
  if (!names) return { version: versionWith(type.version, type.templated, rest), pieces: () => resourcePieces(store, type), templated: type.templated };
  const items = await namedItems(store, type, names);
  async function* pieces(): AsyncGenerator<BodyPiece> {
    for (const [i, item] of items.entries()) {
      if (i) yield { text: ',' };
      yield* itemPieces(store, item);
    }
  }
  return { version: versionWith(namedVersion(items, names), type.templated, rest), names: items.map((i) => i.name), pieces, templated: type.templated };
}

/**
 * A published view decoded whole into the renderer's form: for the callers that inspect resources
 * (config dumps, SDS references, make-before-break), never for serving a poll. Memory grows with the view.
 */
export async function decodePublishedView(store: BlobStore, view: PublishedView, rest?: RestValues): Promise<RenderedView> {
  const types = {} as RenderedView['types'];
  for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
    const published = view.types[type];
    const resources = new Map<string, RenderedResource>();
    for await (const item of collectionItems(store, published.items)) {
      const text = fillIn(await itemText(store, item), published.templated ? rest : undefined);
      resources.set(item.name, { name: item.name, json: JSON.parse(text) as Record<string, unknown>, hash: published.templated && rest ? hashContent(text) : item.hash });
    }
    types[type] = { version: versionWith(published.version, published.templated, rest), resources };
  }
  return { view: view.view, types };
}

/**
 * Chunks read ahead of the one being sent, so R2's round trips overlap instead of adding up (a
 * 10,000-service CDS is ~130 chunks). Six: a Worker request keeps at most six connections open at once
 * (R2 reads count), more would only queue. READ_AHEAD_BYTES bounds the memory they hold (larger meshes
 * have larger chunks); one chunk is always read.
 */
export const READ_AHEAD_CHUNKS = 6;
export const READ_AHEAD_BYTES = 1 << 20;

type Queued = { text: string } | { key: string; bytes: number; content: Promise<string | undefined> };

/**
 * An answer's resources as texts to send, in order (comma-separated already), with the poller's values
 * filled in. Chunks are read a few ahead (READ_AHEAD_CHUNKS), so memory holds a bounded number of
 * chunks (each ≤ MAX_CHUNK_CHARS) however large the answer. `onChunkNames` sees the names of each chunk
 * passed through (make-before-break remembers them).
 */
export async function* answerTexts(store: BlobStore, answer: PublishedAnswer, rest?: RestValues, onChunkNames?: (names: string[]) => void): AsyncGenerator<string> {
  const values = answer.templated ? rest : undefined;
  const pieces = answer.pieces();
  const queue: Queued[] = [];
  let reading = 0;
  let readingBytes = 0;
  let exhausted = false;
  const readAhead = async () => {
    while (!exhausted && reading < READ_AHEAD_CHUNKS && (reading === 0 || readingBytes < READ_AHEAD_BYTES)) {
      const next = await pieces.next();
      if (next.done) exhausted = true;
      else if ('text' in next.value) queue.push(next.value);
      else {
        const content = store.get(next.value.chunk.key);
        // Awaited below in order; a consumer that stops early must not leave a rejection unhandled.
        content.catch(() => {});
        queue.push({ key: next.value.chunk.key, bytes: next.value.chunk.bodyBytes, content });
        reading++;
        readingBytes += next.value.chunk.bodyBytes;
      }
    }
  };
  // Small texts (separators, composite frames) go out with the chunk after them: each piece a stream
  // passes on is a round trip with its reader, so a 10,000-service CDS is ~130 of them, not ~260.
  let texts = '';
  try {
    for (;;) {
      await readAhead();
      const piece = queue.shift();
      if (!piece) break;
      if ('text' in piece) {
        texts += fillIn(piece.text, values);
        continue;
      }
      reading--;
      readingBytes -= piece.bytes;
      const content = await piece.content;
      if (content === undefined) throw new Error(`published chunk ${piece.key} is missing`);
      const newline = content.indexOf('\n');
      onChunkNames?.((JSON.parse(content.slice(0, newline)) as { n: string[] }).n);
      yield texts + fillIn(content.slice(newline + 1), values);
      texts = '';
    }
    if (texts) yield texts;
  } finally {
    await pieces.return(undefined);
  }
}

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
 * An answer's resources as texts to send, in order (comma-separated already), with the poller's values
 * filled in. Chunks are read one at a time, so memory holds one chunk (≤ MAX_CHUNK_CHARS) however large
 * the answer. `onChunkNames` sees the names of each chunk passed through (make-before-break remembers them).
 */
export async function* answerTexts(store: BlobStore, answer: PublishedAnswer, rest?: RestValues, onChunkNames?: (names: string[]) => void): AsyncGenerator<string> {
  const values = answer.templated ? rest : undefined;
  for await (const piece of answer.pieces()) {
    if ('text' in piece) {
      yield fillIn(piece.text, values);
      continue;
    }
    const content = await store.get(piece.chunk.key);
    if (content === undefined) throw new Error(`published chunk ${piece.chunk.key} is missing`);
    const newline = content.indexOf('\n');
    onChunkNames?.((JSON.parse(content.slice(0, newline)) as { n: string[] }).n);
    yield fillIn(content.slice(newline + 1), values);
  }
}

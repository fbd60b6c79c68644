/**
 * Published config: what the write path stores so that reads never translate. Rendered resources are
 * kept in content-addressed chunks (see collection.ts); a view is an index of chunk references per type;
 * a revision is one root manifest naming its views. Storage is abstract here (BlobStore): the edge backs
 * it with R2, tests with a Map.
 */

/** One rendered resource (or one part of a composite resource) as published: its JSON text and content hash. */
export interface Item {
  name: string;
  /** Canonical JSON text of the resource (proto3 JSON with `@type`). */
  text: string;
  /** hashContent(text): the resource's version in delta xDS and the bridge's encode cache. */
  hash: string;
}

/** A chunk as an index refers to it: enough to find an item by name and to stream the chunk's body alone. */
export interface ChunkRef {
  /** Storage key of the chunk (`c/` + SHA-256 of its content). */
  key: string;
  first: string;
  last: string;
  /** Items in the chunk. */
  n: number;
  /** UTF-8 bytes of the chunk's meta line (its first line, newline included): the body starts there. */
  metaBytes: number;
  /** UTF-8 bytes of the body: the items' texts joined by ','. */
  bodyBytes: number;
  /** Sum of the items' version terms (see version.ts), so a collection's version needs no item list. */
  sum: string;
}

/** A sorted collection of items (by name), split at content-defined boundaries. */
export interface Collection {
  /** Boundary modulus: an item ends a chunk when the hash of its name is 0 modulo k. */
  k: number;
  count: number;
  bytes: number;
  chunks: ChunkRef[];
}

/** Content-addressed blob storage: R2 on the edge, a Map in tests. */
export interface BlobStore {
  get(key: string): Promise<string | undefined>;
  /** Writes `text` at `key`; writing the same key twice writes the same content (keys are content hashes). */
  put(key: string, text: string): Promise<void>;
}

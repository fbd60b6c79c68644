import type { BlobStore } from '../../../xds';

/**
 * The published config's storage: R2 (see wrangler.toml). Keys are content hashes, so a blob never
 * changes once written and reads can be memoised by key for as long as memory allows.
 */
export class R2BlobStore implements BlobStore {
  gets = 0;
  puts = 0;

  constructor(private readonly bucket: R2Bucket) {}

  async get(key: string): Promise<string | undefined> {
    this.gets++;
    const object = await this.bucket.get(key);
    return object ? object.text() : undefined;
  }

  async put(key: string, text: string): Promise<void> {
    this.puts++;
    await this.bucket.put(key, text);
  }

  /** A stored chunk's body alone (the bytes after its meta line), as a stream: answers pass it through. */
  async body(key: string, offset: number): Promise<ReadableStream<Uint8Array>> {
    this.gets++;
    const object = await this.bucket.get(key, { range: { offset } });
    if (!object) throw new Error(`published chunk ${key} is missing`);
    return object.body;
  }
}

/**
 * Writes kept in memory over the real store's reads: a dry run compiles exactly as a write does and
 * leaves nothing behind.
 */
export class OverlayBlobStore implements BlobStore {
  readonly written = new Map<string, string>();

  constructor(private readonly base: BlobStore) {}

  async get(key: string): Promise<string | undefined> {
    return this.written.get(key) ?? this.base.get(key);
  }

  async put(key: string, text: string): Promise<void> {
    this.written.set(key, text);
  }
}

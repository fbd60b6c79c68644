import type { BlobStore } from './types';

/** A BlobStore in memory, counting its reads and writes: for tests, the bench and tools. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, string>();
  gets = 0;
  puts = 0;

  async get(key: string): Promise<string | undefined> {
    this.gets++;
    return this.blobs.get(key);
  }

  async put(key: string, text: string): Promise<void> {
    this.puts++;
    this.blobs.set(key, text);
  }
}

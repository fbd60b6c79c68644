/**
 * A fast, deterministic 64-bit content hash (two independent 32-bit multiply-xorshift lanes), sync
 * and web-standard so versions agree across workerd isolates and bridge replicas. Not cryptographic:
 * it only has to tell config versions apart.
 */
export function hashContent(text: string): string {
  const [h1, h2] = lanes(text);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/** The same hash as a number (53 of its bits): for large in-memory sets of names, ~8 bytes each instead of the string. */
export function hashNumber(text: string): number {
  const [h1, h2] = lanes(text);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function lanes(text: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1, h2];
}

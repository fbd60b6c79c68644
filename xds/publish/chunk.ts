import { addSums, itemTerm } from './version';
import type { ChunkRef, Item } from './types';

/** A chunk's first line: names, hashes and UTF-16 lengths of its items, so one item can be cut out of the body. */
interface ChunkMeta {
  n: string[];
  h: string[];
  l: number[];
}

/** UTF-8 length of a string without encoding it (R2 ranges are in bytes). */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** Storage key of a blob: its kind prefix and 128 bits of its SHA-256 (cryptographic: users choose the content). */
export async function contentKey(prefix: string, content: string): Promise<string> {
  return `${prefix}/${hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(content))).slice(0, 32)}`;
}

/** A chunk's stored text and the reference an index keeps to it. */
export async function encodeChunk(items: Item[]): Promise<{ ref: ChunkRef; content: string }> {
  const meta: ChunkMeta = { n: items.map((i) => i.name), h: items.map((i) => i.hash), l: items.map((i) => i.text.length) };
  const metaLine = `${JSON.stringify(meta)}\n`;
  const body = items.map((i) => i.text).join(',');
  const content = metaLine + body;
  const ref: ChunkRef = {
    key: await contentKey('c', content),
    first: items[0]!.name,
    last: items.at(-1)!.name,
    n: items.length,
    metaBytes: utf8Length(metaLine),
    bodyBytes: utf8Length(body),
    sum: addSums(...items.map(itemTerm)),
  };
  return { ref, content };
}

/** The items of a stored chunk. */
export function decodeChunk(content: string): Item[] {
  const newline = content.indexOf('\n');
  const meta = JSON.parse(content.slice(0, newline)) as ChunkMeta;
  const items: Item[] = [];
  let at = newline + 1;
  for (let i = 0; i < meta.n.length; i++) {
    items.push({ name: meta.n[i]!, hash: meta.h[i]!, text: content.slice(at, at + meta.l[i]!) });
    at += meta.l[i]! + 1;
  }
  return items;
}

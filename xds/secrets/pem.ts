/** PEM (RFC 7468) blocks: label and DER bytes. Text between blocks (openssl's "Bag Attributes") is allowed. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every block in the text; throws (with a reason) on a block that is not well-formed base64 or whose labels differ. */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m as unknown as [string, string, string, string];
    if (begin !== end) throw new Error(`a PEM block begins as "${begin}" but ends as "${end}"`);
    const b64 = body.replace(/\s+/g, '');
    const der = decodeBase64(b64);
    if (!der) throw new Error(`the ${begin} block is not valid base64`);
    blocks.push({ label: begin, der });
  }
  if (!blocks.length && /-----BEGIN /.test(text)) throw new Error('a PEM block is not terminated by its -----END line');
  return blocks;
}

/** Strict base64 (padding required where needed); undefined when it is not. */
export function decodeBase64(b64: string): Uint8Array | undefined {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Base64 of bytes (for proto3 JSON `bytes` fields and ciphertexts). */
export function encodeBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Just enough DER to read X.509 certificates and private keys (RFC 5280, RFC 5208, RFC 5915) and to
 * wrap PKCS#1/SEC1 keys into PKCS#8 for WebCrypto. Web-standard only: runs in workerd and Node.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** One tag-length-value: `start` is where the header begins, `body` the content, `end` one past it. */
export interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

export class DerError extends Error {}

/** Reads the TLV at `offset` (definite lengths only, as DER requires); throws DerError when malformed. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in certificates');
  let length = buf[offset + 1]!;
  let body = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[body + i]!;
    body += n;
  }
  const end = body + length;
  if (end > limit) throw new DerError('truncated');
  return { tag, start: offset, body, end };
}

/** The TLVs inside a constructed one (SEQUENCE, SET, explicit tags). */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Reads a whole buffer as exactly one TLV (trailing bytes are an error). */
export function readOne(buf: Uint8Array): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes');
  return tlv;
}

export const bodyOf = (buf: Uint8Array, tlv: Tlv) => buf.subarray(tlv.body, tlv.end);
export const bytesOf = (buf: Uint8Array, tlv: Tlv) => buf.subarray(tlv.start, tlv.end);

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

/** Dotted OBJECT IDENTIFIER. */
export function decodeOid(bytes: Uint8Array): string {
  if (!bytes.length) throw new DerError('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  return [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40)), ...parts].join('.');
}

export function encodeOid(oid: string): Uint8Array {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const out: number[] = [];
  for (const n of [a! * 40 + b!, ...rest]) {
    const bytes = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return encodeTlv(TAG.OID, new Uint8Array(out));
}

/** A TLV with definite length. */
export function encodeTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | byteCount(length), ...bigEndian(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let at = header.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const byteCount = (n: number) => bigEndian(n).length;
function bigEndian(n: number): number[] {
  const out: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return out;
}

/** UTCTime (two-digit years: 50–99 are 19xx, RFC 5280) or GeneralizedTime, always in UTC (`Z`). */
export function decodeTime(buf: Uint8Array, tlv: Tlv): Date {
  const text = new TextDecoder().decode(bodyOf(buf, tlv));
  const m = tlv.tag === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new DerError(`bad time "${text}"`);
  let year = Number(m[1]);
  if (tlv.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** The string types a Name's attribute values use; BMPString is UTF-16BE. */
export function decodeString(buf: Uint8Array, tlv: Tlv): string {
  const body = bodyOf(buf, tlv);
  if (tlv.tag === 0x1e) {
    let s = '';
    for (let i = 0; i + 1 < body.length; i += 2) s += String.fromCharCode((body[i]! << 8) | body[i + 1]!);
    return s;
  }
  return new TextDecoder().decode(body);
}

export const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

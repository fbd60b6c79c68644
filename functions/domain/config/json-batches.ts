/**
 * D1 takes at most 100 bound values a statement and 2,000,000 bytes per value: lists of rows or keys go
 * in as JSON arrays read with json_each, a megabyte at a time. Measured in UTF-8 bytes, as D1 counts:
 * a million characters of non-ASCII text is up to 3 MB.
 */
export const MAX_PARAM_BYTES = 1_000_000;

const utf8 = new TextEncoder();

/** Splits values into JSON arrays of at most MAX_PARAM_BYTES bytes each (a single larger value goes alone). */
export function jsonBatches(values: unknown[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const v of values) {
    const text = JSON.stringify(v);
    const bytes = utf8.encode(text).length;
    if (parts.length && size + bytes + 1 > MAX_PARAM_BYTES) {
      out.push(`[${parts.join(',')}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += bytes + 1;
  }
  if (parts.length) out.push(`[${parts.join(',')}]`);
  return out;
}

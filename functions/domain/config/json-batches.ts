/**
 * D1 takes at most 100 bound values a statement and 2 MB per value: lists of rows or keys go in as JSON
 * arrays read with json_each, a megabyte at a time.
 */
const MAX_PARAM_CHARS = 1_000_000;

/** Splits values into JSON arrays of at most MAX_PARAM_CHARS characters each. */
export function jsonBatches(values: unknown[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const v of values) {
    const text = JSON.stringify(v);
    if (parts.length && size + text.length + 1 > MAX_PARAM_CHARS) {
      out.push(`[${parts.join(',')}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length) out.push(`[${parts.join(',')}]`);
  return out;
}

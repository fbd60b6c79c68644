import { formatPath } from './errors';
import type { FieldError } from './types';

/**
 * How deeply a request body may nest objects and arrays, counted from its top. Istio objects need about
 * 15 levels and the deepest EnvoyFilter patch values about 40; every later step (validation, patches,
 * translation, canonical JSON) walks values recursively, so this is checked first, without recursion.
 */
export const MAX_NESTING_DEPTH = 100;

/**
 * The largest one object may be as JSON once parsed, YAML aliases expanded: an object's body is capped at
 * 1 MiB, and a few aliases of a large anchor must not make it ten times that (`maxAliasCount` caps the
 * number of aliases, not what they expand to).
 */
export const MAX_OBJECT_JSON_BYTES = 1024 * 1024;

/** Keys no object may hold: JavaScript reads `__proto__` as the object's prototype, not as data. */
const FORBIDDEN_KEY = '__proto__';

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

const pathOf = (frame: Frame): string => {
  const segments: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) segments.push(f.key);
  return formatPath(segments.reverse());
};

/**
 * The first way `value` breaks the limits above, as a field error (path relative to `value`), or
 * undefined. Iterative, and stops as soon as the size budget is spent, so a value of shared references
 * (what YAML aliases parse to) costs no more than the budget to check.
 */
export function checkValueLimits(value: unknown, maxJsonBytes = MAX_OBJECT_JSON_BYTES): FieldError | undefined {
  let bytes = 0;
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (v === null || typeof v !== 'object') {
      bytes += typeof v === 'string' ? v.length + 2 : String(v).length;
    } else {
      if (frame.depth >= MAX_NESTING_DEPTH) return { path: pathOf(frame), message: `nested more than ${MAX_NESTING_DEPTH} levels deep (objects and arrays); the limit is ${MAX_NESTING_DEPTH}` };
      bytes += 2 + (Array.isArray(v) ? v.length : 0);
      if (bytes > maxJsonBytes) break;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: frame.depth + 1, parent: frame, key: i });
      } else {
        for (const key of Object.keys(v)) {
          if (key === FORBIDDEN_KEY) return { path: pathOf({ value: undefined, depth: 0, parent: frame, key }), message: `"${FORBIDDEN_KEY}" is not allowed as a key` };
          bytes += key.length + 4;
          stack.push({ value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key });
        }
      }
    }
    if (bytes > maxJsonBytes) break;
  }
  if (bytes > maxJsonBytes) return { path: '', message: `larger than ${maxJsonBytes} bytes as JSON (YAML aliases expanded); the limit is ${maxJsonBytes} bytes per object` };
  return undefined;
}

import type { z } from 'zod';
import { refusalOf, unsupportedFieldsOf } from './common';
import type { FieldError } from './types';

type Segment = PropertyKey;

/** `['spec', 'http', 1, 'route']` → `spec.http[1].route`; keys that are not identifiers are quoted: `labels["app/name"]`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** Joins a caller's prefix (`[2]` or `[2].`, e.g. the document's index in a manifest) and a path. */
export function prefixPath(prefix: string | undefined, path: string): string {
  if (!prefix) return path;
  if (path === '') return prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  if (prefix.endsWith('.') || path.startsWith('[')) return prefix + path;
  return `${prefix}.${path}`;
}

/** A short description of a value for "expected X, got Y". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    default:
      return typeof value;
  }
}

const TYPE_NAMES: Record<string, string> = { int: 'integer', record: 'object', map: 'object' };

function expectedName(expected: string, inst: unknown): string {
  // z.int() reports a non-number as "expected number"; say integer, as for 1.5.
  const format = (inst as { _zod?: { def?: { format?: string } } } | undefined)?._zod?.def?.format;
  if (expected === 'number' && (format === 'safeint' || format === 'int32')) return 'integer';
  return TYPE_NAMES[expected] ?? expected;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, inst: z.core.$ZodType | undefined): string {
  const refusal = refusalOf(inst, key);
  if (refusal) return `"${key}" is an Istio field this control plane cannot honour: ${refusal}`;
  if (unsupportedFieldsOf(inst).includes(key)) return `"${key}" is an Istio field this control plane does not support yet`;
  const def = inst?._zod.def as { shape?: Record<string, unknown> } | undefined;
  const known = Object.keys(def?.shape ?? {});
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => levenshtein(k, key) <= 2);
  return close ? `unknown field ${JSON.stringify(key)} (did you mean "${close}"?)` : `unknown field ${JSON.stringify(key)}`;
}

// An unrecognized_keys issue covers several keys but carries one message: the map writes one message per key,
// joined by this separator, and `toFieldErrors` splits them again. Keys are JSON-quoted, so never contain it.
const KEY_SEPARATOR = '\n';

/** The parse-level error map: friendly, specific messages for zod's generic issues. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `expected ${expectedName(iss.expected, iss.inst)}, got ${describeValue(iss.input)}`;
    case 'unrecognized_keys':
      return iss.keys.map((k) => unknownKeyMessage(k, iss.inst as z.core.$ZodType | undefined)).join(KEY_SEPARATOR);
    case 'invalid_value':
      if (iss.input === undefined) return 'required';
      return iss.values.length === 1
        ? `expected ${JSON.stringify(iss.values[0])}, got ${describeValue(iss.input)}`
        : `expected one of ${iss.values.map(String).join(', ')}; got ${describeValue(iss.input)}`;
    case 'too_small': {
      const n = Number(iss.minimum);
      if (iss.origin === 'array') return n === 1 ? 'must not be empty' : `must have at least ${n} items`;
      if (iss.origin === 'string') return `must be at least ${n} characters`;
      return iss.inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
    }
    case 'too_big': {
      const n = Number(iss.maximum);
      if (iss.origin === 'array') return `must have at most ${n} items`;
      if (iss.origin === 'string') return `must be at most ${n} characters`;
      return iss.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case 'invalid_key':
      return `invalid key ${JSON.stringify(iss.path?.at(-1) ?? '')}: ${iss.issues[0]?.message ?? 'not allowed'}`;
    default:
      return undefined;
  }
};

/** Turns zod's issues into field errors, one per unknown key, paths prefixed with `prefix`. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const messages = issue.message.split(KEY_SEPARATOR);
      issue.keys.forEach((key, i) => {
        errors.push({ path: prefixPath(prefix, formatPath([...issue.path, key])), message: messages[i] ?? `unknown field ${JSON.stringify(key)}` });
      });
    } else {
      errors.push({ path: prefixPath(prefix, formatPath(issue.path)), message: issue.message });
    }
  }
  return errors;
}

import type { z } from 'zod';
import { badRequest } from './problem';

/**
 * The query as one object for a schema: each `repeatable` parameter always a list, every other
 * parameter at most once (a repeated one is a 400 naming it, not a silent pick).
 */
export function queryObject(url: string, repeatable: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URL(url).searchParams) {
    if (repeatable.includes(key)) ((out[key] ??= []) as string[]).push(value);
    else if (Object.hasOwn(out, key)) throw badRequest(`query parameter ${key} is given more than once`, [{ path: key, message: 'given more than once' }]);
    else out[key] = value;
  }
  return out;
}

/** Parses a request's query with a (strict) schema; failures are a 400 naming each parameter (`label[1]` for list items). */
export function parseQuery<S extends z.ZodType>(url: string, schema: S, repeatable: readonly string[] = []): z.output<S> {
  const parsed = schema.safeParse(queryObject(url, repeatable));
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: k, message: 'unknown query parameter' }))
      : [{ path: i.path.map((p, n) => (typeof p === 'number' && n > 0 ? `[${p}]` : `${n > 0 ? '.' : ''}${String(p)}`)).join(''), message: i.message }],
  );
  throw badRequest(`invalid query: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
}

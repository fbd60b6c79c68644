import type { Context } from 'hono';
import type { z } from 'zod';
import { errorMap, toFieldErrors } from '../../xds/intent/errors';
import { readTextBody } from './body';
import { badRequest } from './problem';

const JSON_ONLY = [/^application\/([a-z.+-]*\+)?json$/];
/** A thousand bad entries need not come back as a thousand errors; the first ones show the mistake. */
const MAX_ERRORS = 100;

/**
 * A JSON body checked against a zod schema, with the translator's messages and paths
 * (`nodes[3].labels.app`), so machine callers get the same problem documents as config writes.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.output<S>> {
  const { text } = await readTextBody(c, JSON_ONLY);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not JSON: ${(err as Error).message}`, [{ path: '', message: `expected a JSON ${what}` }]);
  }
  const parsed = schema.safeParse(body, { error: errorMap, reportInput: true });
  if (parsed.success) return parsed.data;
  const errors = toFieldErrors(parsed.error.issues);
  const more = errors.length > MAX_ERRORS ? ` (first ${MAX_ERRORS} of ${errors.length} errors shown)` : '';
  throw badRequest(`invalid ${what}${more}`, errors.slice(0, MAX_ERRORS));
}

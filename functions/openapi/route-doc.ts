import type { z } from 'zod';
import type { Scope } from '../auth/tokens';

/**
 * One route as the OpenAPI document describes it. Each feature declares its routes next to its
 * handlers (`openapi.ts` in its folder) from the same zod schemas the handlers parse with;
 * functions/openapi/ assembles them, and a test holds the list to the app's real routes.
 */
export interface RouteDoc {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  /** OpenAPI form, `{param}` for path parameters, e.g. `/api/v1/rollouts/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The token scope the route requires; null for unauthenticated routes. */
  scope: Scope | null;
  /** Path parameters, as one zod object (strings). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers that change behaviour (Idempotency-Key, If-Match, x-ci-run-id...). */
  headers?: z.ZodObject;
  body?: { schema: z.ZodType; contentTypes?: string[]; required?: boolean };
  /** By status code; `schema` absent for bodies that are not JSON or not described. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

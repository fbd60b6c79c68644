import type { z } from 'zod';
import type { Scope } from '../domain/auth/tokens';
import type { ResponseHeaderName } from './headers';

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
  /** The token may be left out where the deployment allows it (anonymous xDS reads). */
  authOptional?: boolean;
  /** Defaults to `<method><Path in camel case>`; must be unique. */
  operationId?: string;
  /**
   * Whether the route honours `Idempotency-Key` (functions/api/index.ts mounts the middleware by
   * path). Defaults to true for put, post, patch and delete; the test checks it against the app.
   */
  idempotencyKey?: boolean;
  /** Path parameters, as one zod object (strings). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers that change behaviour (If-Match, x-ci-run-id...); Idempotency-Key is added by `idempotencyKey`. */
  headers?: z.ZodObject;
  body?: {
    schema: z.ZodType;
    contentTypes?: string[];
    required?: boolean;
    description?: string;
    /** A different schema for some of `contentTypes` (PATCH: merge patch vs JSON patch). */
    byContentType?: Record<string, z.ZodType>;
  };
  /**
   * By status code; `schema` absent for bodies that are not JSON or not described. 401 and 403 (for
   * routes with a scope) and a problem+json `default` are added by the assembler when not listed.
   * `byContentType`: further media types of the same answer (JSON beside YAML), each with its schema or none.
   */
  responses: Record<
    number,
    { description: string; schema?: z.ZodType; contentType?: string; byContentType?: Record<string, z.ZodType | undefined>; headers?: readonly ResponseHeaderName[] }
  >;
}

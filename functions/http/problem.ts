import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Problem } from './problem-schema';

export interface ProblemField {
  path: string;
  message: string;
}

export interface ProblemOptions {
  status: ContentfulStatusCode;
  title: string;
  detail?: string;
  errors?: ProblemField[];
  /** Extra members for the problem document (RFC 9457 allows extensions). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Thrown by handlers; turned into application/problem+json in exactly one place (onError, functions/http/on-error.ts). */
export class ProblemError extends Error {
  constructor(readonly problem: ProblemOptions) {
    super(problem.detail ?? problem.title);
  }
}

const TYPE_BASE = 'https://xdsflare.dev/problems/';

/** Renders a problem+json response (RFC 9457). */
export function problemResponse(c: Context, p: ProblemOptions): Response {
  // Typed by the schema /openapi.json documents, so the two cannot drift.
  const body: Problem = {
    type: TYPE_BASE + p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    ...(p.errors ? { errors: p.errors } : {}),
    ...p.extensions,
    instance: c.req.path,
    requestId: c.res.headers.get('x-request-id') ?? c.get('requestId' as never),
  };
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...p.headers },
  });
}

export const badRequest = (detail: string, errors?: ProblemField[]) =>
  new ProblemError({ status: 400, title: 'Bad Request', detail, ...(errors ? { errors } : {}) });
export const unauthorized = (detail: string) =>
  new ProblemError({ status: 401, title: 'Unauthorized', detail, headers: { 'www-authenticate': 'Bearer' } });
export const forbidden = (detail: string) => new ProblemError({ status: 403, title: 'Forbidden', detail });
export const notFound = (detail: string) => new ProblemError({ status: 404, title: 'Not Found', detail });
export const conflict = (detail: string, errors?: ProblemField[]) =>
  new ProblemError({ status: 409, title: 'Conflict', detail, ...(errors ? { errors } : {}) });
/** Well-formed and schema-valid, but what it would produce cannot be accepted (RFC 9110 §15.5.21). */
export const unprocessableContent = (detail: string, errors?: ProblemField[]) =>
  new ProblemError({ status: 422, title: 'Unprocessable Content', detail, ...(errors ? { errors } : {}) });
export const preconditionFailed = (detail: string) => new ProblemError({ status: 412, title: 'Precondition Failed', detail });
export const unsupportedMediaType = (detail: string) => new ProblemError({ status: 415, title: 'Unsupported Media Type', detail });
export const serviceUnavailable = (detail: string) =>
  new ProblemError({ status: 503, title: 'Service Unavailable', detail, headers: { 'retry-after': '1' } });

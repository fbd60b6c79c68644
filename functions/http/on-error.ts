import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { DomainError } from '../domain/errors';
import { domainProblem } from './domain-problems';
import { problemResponse, ProblemError } from './problem';

const logError = (c: Context, message: string) => console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId' as never), message }));

/** The one error boundary of the Worker: every failure leaves as application/problem+json. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ProblemError) return problemResponse(c, err.problem);
  if (err instanceof DomainError) {
    const { problem, log } = domainProblem(err);
    if (log) logError(c, err.message);
    return problemResponse(c, problem);
  }
  if (err instanceof HTTPException) {
    return problemResponse(c, { status: err.status as 400, title: err.message || 'Error', detail: err.message });
  }
  // Never echo internals (they may contain config or tokens); the request id ties the log to the answer.
  logError(c, String(err?.message ?? err));
  return problemResponse(c, { status: 500, title: 'Internal Server Error', detail: 'unexpected error; see the server log for this request id' });
}

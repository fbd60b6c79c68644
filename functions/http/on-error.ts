import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { problemResponse, ProblemError } from './problem';

/** The one error boundary of the Worker: every failure leaves as application/problem+json. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ProblemError) return problemResponse(c, err.problem);
  if (err instanceof HTTPException) {
    return problemResponse(c, { status: err.status as 400, title: err.message || 'Error', detail: err.message });
  }
  // Never echo internals (they may contain config or tokens); the request id ties the log to the answer.
  console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId' as never), message: String(err?.message ?? err) }));
  return problemResponse(c, { status: 500, title: 'Internal Server Error', detail: 'unexpected error; see the server log for this request id' });
}

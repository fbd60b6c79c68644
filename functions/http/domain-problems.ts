import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError, DomainReason } from '../domain/errors';
import type { ProblemOptions } from './problem';

interface ProblemShape {
  status: ContentfulStatusCode;
  title: string;
  headers?: Record<string, string>;
  /** A server-side fault: logged by the error boundary, not only answered. */
  log?: true;
}

const RETRY_SOON = { 'retry-after': '1' };

/** The one mapping from what the domain says happened to the HTTP answer. */
const PROBLEMS: Record<DomainReason, ProblemShape> = {
  'not-found': { status: 404, title: 'Not Found' },
  'precondition-failed': { status: 412, title: 'Precondition Failed' },
  'already-exists': { status: 412, title: 'Precondition Failed' },
  inconsistent: { status: 409, title: 'Conflict' },
  'revision-taken': { status: 409, title: 'Conflict' },
  'too-large': { status: 413, title: 'Content Too Large' },
  'invalid-envoy-config': { status: 422, title: 'Unprocessable Content' },
  'config-unavailable': { status: 503, title: 'Service Unavailable', headers: RETRY_SOON },
  'secrets-key-missing': { status: 503, title: 'Service Unavailable', headers: RETRY_SOON },
  'secrets-key-malformed': { status: 500, title: 'Internal Server Error' },
  'secret-unreadable': { status: 503, title: 'Service Unavailable', headers: RETRY_SOON },
  'bad-setting': { status: 500, title: 'Internal Server Error', log: true },
  'rollout-owns-route': { status: 409, title: 'Conflict' },
};

/** The problem document for a domain error, and whether the boundary should log it. */
export function domainProblem(err: DomainError): { problem: ProblemOptions; log: boolean } {
  const { status, title, headers, log } = PROBLEMS[err.reason];
  const problem: ProblemOptions = { status, title, detail: err.message, ...(err.fields ? { errors: [...err.fields] } : {}), ...(err.extensions ? { extensions: err.extensions } : {}), ...(headers ? { headers: { ...headers } } : {}) };
  return { problem, log: log === true };
}

import { CiHeadersSchema, problem, RolloutOverrideQuery, WRITE_PROBLEMS } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { RevisionDetailSchema, RevisionEntryListSchema, RevisionListQuerySchema, RevisionQuerySchema } from './schemas';
import { RevisionParamsSchema, RevisionStatusQuerySchema, RevisionStatusSchema, RollbackResultSchema } from './revision-schemas';

/** History (revisions.ts) and convergence (revision-status.ts). */

const tags = ['Revisions'];
const badRevision = problem('The revision number (or `before`, `wait`) is not valid');
const noRevision = problem('No such revision');

export const revisionRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/revisions',
    operationId: 'listRevisions',
    summary: 'List revisions, newest first',
    tags,
    scope: 'config:read',
    query: RevisionListQuerySchema,
    responses: { 200: { description: 'One page of revisions; `next` is the query of the next page', schema: RevisionEntryListSchema }, 400: badRevision },
  },
  {
    method: 'get',
    path: '/api/v1/revisions/{n}',
    operationId: 'getRevision',
    summary: 'Read one revision: who, when, from which CI run, and what changed against n-1',
    description: 'The diff lists each changed object as an RFC 6902 patch and each rendered Envoy resource (per default view) added, removed or changed; bounded, with full counts.',
    tags,
    scope: 'config:read',
    params: RevisionParamsSchema,
    query: RevisionQuerySchema,
    responses: { 200: { description: 'The revision, with its diff unless `?diff=false`', schema: RevisionDetailSchema }, 400: badRevision, 404: noRevision },
  },
  {
    method: 'post',
    path: '/api/v1/revisions/{n}/rollback',
    operationId: 'rollbackRevision',
    summary: 'Restore the state of revision n, as a new revision',
    description: 'Every object as it was at revision n is put back and everything made since is deleted, validated and translated like any write.',
    tags,
    scope: 'config:write',
    params: RevisionParamsSchema,
    query: RolloutOverrideQuery,
    headers: CiHeadersSchema,
    responses: {
      201: { description: 'Committed as a new revision', schema: RollbackResultSchema, headers: ['Warning'] },
      200: { description: 'The current state already equals revision n; nothing was committed', schema: RollbackResultSchema, headers: ['Warning'] },
      400: badRevision,
      404: noRevision,
      409: WRITE_PROBLEMS[409],
      422: WRITE_PROBLEMS[422],
    },
  },
  {
    method: 'get',
    path: '/api/v1/revisions/{n}/status',
    operationId: 'getRevisionStatus',
    summary: 'How far revision n has reached the proxies',
    description:
      'Every proxy judged on revision n: converged (acknowledged config from n or later), rejected (a NACK, or for a REST poller that kept polling with its old version, an inferred one), pending, or stale (not seen within STATUS_STALE_MS). `?wait=<seconds>` holds the request while the phase is pending.',
    tags,
    scope: 'config:read',
    params: RevisionParamsSchema,
    query: RevisionStatusQuerySchema,
    responses: { 200: { description: 'The status, as it stands when the answer is made', schema: RevisionStatusSchema }, 400: badRevision, 404: noRevision },
  },
];

import { z } from 'zod';
import { problem } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { IdentityPolicyListSchema, IdentityPolicyNameSchema, IdentityPolicyPutSchema, IdentityPolicySchema, WhoamiSchema } from './identity-policy-schemas';

/** Identity policies and whoami (identity-policies.ts). */

const tags = ['Identities'];
const params = z.object({ name: IdentityPolicyNameSchema });
const notFound = problem('No such identity policy');

export const identityRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/identity-policies',
    operationId: 'listIdentityPolicies',
    summary: 'List identity policies',
    description: 'What each workload identity (SPIFFE ID) may receive. An identity without a policy may claim its own namespace and no Gateway.',
    tags,
    scope: 'config:read',
    responses: { 200: { description: 'Every policy, by name', schema: IdentityPolicyListSchema } },
  },
  {
    method: 'put',
    path: '/api/v1/identity-policies/{name}',
    operationId: 'putIdentityPolicy',
    summary: 'Create or replace an identity policy',
    description:
      "Proxies authenticated as `identity` (an mTLS client certificate's URI SAN at a bridge, or a token bound to it) may claim the SPIFFE ID's namespace and `namespaces`, and receive the Gateways whose selector one of `gatewaySelectors` satisfies; any other claim is refused (403 for REST pollers, PERMISSION_DENIED over ADS), with no config and no Secret. Applied everywhere within TOKEN_RECHECK_MS. PUT is idempotent as it is; Idempotency-Key is not honoured.",
    tags,
    scope: 'admin',
    idempotencyKey: false,
    params,
    body: { schema: IdentityPolicyPutSchema, contentTypes: ['application/json'] },
    responses: {
      200: { description: 'Replaced', schema: IdentityPolicySchema },
      201: { description: 'Created', schema: IdentityPolicySchema, headers: ['Location'] },
      400: problem('The name, identity, namespaces or selectors are invalid; `errors` names each. Nothing was stored.'),
      409: problem('Another policy has this identity'),
      413: problem('The body is too large'),
      415: problem('The content type is not JSON'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/identity-policies/{name}',
    operationId: 'getIdentityPolicy',
    summary: 'Read an identity policy',
    tags,
    scope: 'config:read',
    params,
    responses: { 200: { description: 'The policy', schema: IdentityPolicySchema }, 400: problem('Invalid name'), 404: notFound },
  },
  {
    method: 'delete',
    path: '/api/v1/identity-policies/{name}',
    operationId: 'deleteIdentityPolicy',
    summary: 'Delete an identity policy',
    description: 'Its identity is back to the default: its own namespace, no Gateway.',
    tags,
    scope: 'admin',
    idempotencyKey: false,
    params,
    responses: { 204: { description: 'Deleted' }, 400: problem('Invalid name'), 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/whoami',
    operationId: 'whoami',
    summary: "The calling token's name, scopes and bound identity",
    description: 'A bridge calls it with the bearer token an ADS client sent, so tokens (and their revocation) are judged by the edge alone.',
    tags,
    scope: 'xds:read',
    responses: { 200: { description: 'The token', schema: WhoamiSchema } },
  },
];

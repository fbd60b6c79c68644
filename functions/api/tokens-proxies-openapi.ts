import { z } from 'zod';
import { problem } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { StatusReport } from './proxy-status';
import { REVISION_HEADER, SNAPSHOTS_PATH, SnapshotsRequestSchema, SnapshotsResponseSchema, STALE_HEADER } from '../../xds';
import { ConfigDumpSchema, ProxyListSchema } from './status-schemas';
import { CreateTokenSchema, TokenCreatedSchema, TokenListSchema } from './token-schemas';

/** Tokens, proxies, the bridge's endpoints and config_dump. */

const badJson = problem('The body is not JSON or breaks the schema; `errors` names each field');

export const tokenAndProxyRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/v1/tokens',
    operationId: 'createToken',
    summary: 'Create a scoped API token',
    description: 'The token is returned once; only its SHA-256 is kept. Not idempotent by key: a replay would have to keep the plaintext.',
    tags: ['Tokens'],
    scope: 'admin',
    idempotencyKey: false,
    body: { schema: CreateTokenSchema },
    responses: { 201: { description: 'Created', schema: TokenCreatedSchema }, 400: badJson, 409: problem('A token of that name exists'), 413: problem('The body is too large') },
  },
  {
    method: 'get',
    path: '/api/v1/tokens',
    operationId: 'listTokens',
    summary: 'List tokens (names and scopes, never the tokens)',
    tags: ['Tokens'],
    scope: 'admin',
    responses: { 200: { description: 'Every token, by name', schema: TokenListSchema } },
  },
  {
    method: 'delete',
    path: '/api/v1/tokens/{name}',
    operationId: 'deleteToken',
    summary: 'Delete a token',
    tags: ['Tokens'],
    scope: 'admin',
    idempotencyKey: false,
    params: z.object({ name: z.string() }),
    responses: { 204: { description: 'Deleted' }, 404: problem('No such token') },
  },
  {
    method: 'get',
    path: '/api/v1/proxies',
    operationId: 'listProxies',
    summary: 'Every proxy seen, with what it acknowledged and rejected',
    description: 'REST pollers and the bridges\' ADS clients alike, most recently seen first (at most 1,000). A proxy not seen for STATUS_FORGET_MS has left the fleet and is not listed.',
    tags: ['Status'],
    scope: 'config:read',
    query: z.object({ staleSeconds: z.string().optional().meta({ description: 'Judge `stale` by this bound instead of STATUS_STALE_MS' }) }),
    responses: { 200: { description: 'The proxies', schema: ProxyListSchema } },
  },
  {
    method: 'delete',
    path: '/api/v1/proxies/{node}',
    operationId: 'forgetProxy',
    summary: 'Forget a stale proxy now',
    description: 'Removes a stale proxy from the fleet at once instead of STATUS_FORGET_MS after it was last seen. A live proxy is a 409: its next poll or report would bring it back.',
    tags: ['Status'],
    scope: 'status:write',
    idempotencyKey: false,
    params: z.object({ node: z.string().meta({ description: 'The node id' }) }),
    responses: { 204: { description: 'Forgotten' }, 404: problem('No such proxy in the fleet'), 409: problem('The proxy is live') },
  },
  {
    method: 'post',
    path: '/api/v1/proxies/status',
    operationId: 'reportProxyStatus',
    summary: 'A bridge reports its ADS clients\' ACKs and NACKs',
    tags: ['Bridge'],
    scope: 'status:write',
    idempotencyKey: false,
    body: { schema: StatusReport },
    responses: { 204: { description: 'Stored, whole' }, 400: badJson, 413: problem('The report is larger than 4 MiB'), 415: problem('Not JSON') },
  },
  {
    method: 'post',
    path: SNAPSHOTS_PATH,
    operationId: 'getSnapshots',
    summary: 'Every view a bridge\'s clients need, in one request',
    description: 'Rendered with ADS config sources; views include their Secrets when the token has `secrets:read`.',
    tags: ['Bridge'],
    scope: 'xds:read',
    idempotencyKey: false,
    body: { schema: SnapshotsRequestSchema },
    responses: {
      200: { description: 'The views', schema: SnapshotsResponseSchema, headers: [REVISION_HEADER, STALE_HEADER] },
      304: { description: 'The bridge already holds this revision', headers: [REVISION_HEADER, STALE_HEADER] },
      400: badJson,
      413: problem('The body is larger than 1 MiB'),
      415: problem('Not JSON'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/config_dump',
    operationId: 'getConfigDump',
    summary: 'What one proxy receives, as Envoy\'s /config_dump would show it',
    tags: ['Status'],
    scope: 'config:read',
    query: z.object({
      node: z.string().optional().meta({ description: 'A node that has polled; or describe a hypothetical one with the parameters below' }),
      labels: z.string().optional().meta({ description: '`app=web,version=v1`' }),
      client: z.enum(['envoy', 'grpc']).optional().meta({ description: '`grpc` for a proxyless gRPC client (default envoy)' }),
      namespace: z.string().optional().meta({ description: 'The proxy\'s namespace (exportTo)' }),
      locality: z.string().optional().meta({ description: '`region/zone/sub-zone` (localityLbSetting)' }),
      mode: z.enum(['rest', 'ads']).optional().meta({ description: '`ads`: config sources as the bridge\'s clients get them (default rest)' }),
      xdsCluster: z.string().optional().meta({ description: 'The REST config sources\' cluster name (default xds_cluster)' }),
    }),
    responses: { 200: { description: 'Per type, the version and resources', schema: ConfigDumpSchema }, 400: problem('A bad labels selector'), 404: problem('The node has not polled') },
  },
];

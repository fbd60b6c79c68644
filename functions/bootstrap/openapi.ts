import { z } from 'zod';
import { BootstrapQuerySchema, ExportQuerySchema } from './params';
import { EnvoyBootstrapSchema, ExportSchema, GrpcBootstrapSchema } from './schemas';
import { problem } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';

/** Bootstraps and the filesystem-subscription export (bootstrap.ts). */

const tags = ['Bootstrap'];
const badQuery = problem('A parameter is missing, repeated, unknown, not valid, or not one this mode takes; `errors` names each one');

export const bootstrapRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/bootstrap',
    operationId: 'getBootstrap',
    summary: 'A ready-to-run bootstrap for one node',
    description:
      "`rest`: Envoy polls the edge; its xDS cluster is named after the Host this request reached the edge with (Envoy sends that name as the Host of every poll, and the edge names the config sources it serves after it), TLS with SNI when the edge is https, `refresh_delay` = XDS_REFRESH_DELAY. When anonymous xDS is off, `node.metadata.xds_token` holds a placeholder to replace (a Warning says so). `ads`: Envoy streams from a bridge (`bridge`, default 127.0.0.1:18000; `delta=true` for DELTA_GRPC). `file`: Envoy reads what GET /api/v1/export writes under `dir`. `grpc`: a proxyless gRPC client's bootstrap, aimed at a bridge. Envoy's are YAML unless `Accept: application/json`; gRPC's is always JSON.",
    tags,
    scope: 'config:read',
    query: BootstrapQuerySchema,
    responses: {
      200: { description: 'The bootstrap (application/yaml by default; application/json when asked, and always for mode=grpc)', schema: EnvoyBootstrapSchema, contentType: 'application/yaml', byContentType: { 'application/json': z.union([EnvoyBootstrapSchema, GrpcBootstrapSchema]) }, headers: ['Warning'] },
      400: badQuery,
    },
  },
  {
    method: 'get',
    path: '/api/v1/export',
    operationId: 'getExport',
    summary: "A node's view as files for Envoy's filesystem subscription",
    description:
      "One DiscoveryResponse per file: `cds.json`, `lds.json`, one ClusterLoadAssignment per `eds/` file and one RouteConfiguration per `rds/` file (Envoy rejects a file EDS or RDS update with more than one), and with scope secrets:read the SDS secrets in `sds/`. Config sources inside point at `path_config_source` files under `dir`, each reloaded when that file is renamed into place. `xdsflare export` writes them atomically.",
    tags,
    scope: 'config:read',
    query: ExportQuerySchema,
    responses: { 200: { description: 'The files, in write order', schema: ExportSchema, headers: ['Warning', 'x-xdsflare-revision'] }, 400: badQuery },
  },
];

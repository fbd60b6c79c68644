import { z } from 'zod';

/** What GET /bootstrap and GET /export answer (the queries are in params.ts). */

export const EnvoyBootstrapSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'EnvoyBootstrap', description: 'An envoy.config.bootstrap.v3.Bootstrap as proto3 JSON (snake_case), ready for `envoy -c`: node, dynamic_resources, static_resources (the xDS cluster, when there is one) and admin on 127.0.0.1:9901' });

export const GrpcBootstrapSchema = z
  .object({
    xds_servers: z.array(z.object({ server_uri: z.string(), channel_creds: z.array(z.object({ type: z.string(), config: z.record(z.string(), z.string()).optional().meta({ description: 'type tls (gRFC A65): ca_certificate_file, certificate_file, private_key_file' }) })), server_features: z.array(z.string()) })),
    node: z.object({
      id: z.string(),
      cluster: z.string().optional(),
      locality: z.object({ region: z.string().optional(), zone: z.string().optional(), sub_zone: z.string().optional() }),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'GrpcXdsBootstrap', description: "A proxyless gRPC client's xDS bootstrap (gRFC A27), for GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG" });

export const DiscoveryResponseFileSchema = z
  .object({ version_info: z.string(), type_url: z.string(), resources: z.array(z.record(z.string(), z.unknown()).meta({ description: 'A resource as proto3 JSON, with `@type`' })) })
  .meta({ id: 'DiscoveryResponseFile', description: "A DiscoveryResponse as Envoy's filesystem subscription reads it" });

export const ExportSchema = z
  .object({
    revision: z.int().meta({ description: 'The config revision the files were rendered from' }),
    view: z.string().meta({ description: "The node's view key" }),
    dir: z.string().meta({ description: 'The directory the config sources inside the files name (normalised)' }),
    files: z
      .array(z.object({ name: z.string().meta({ description: 'Relative to dir: `sds/…`, `eds/…`, `cds.json`, `rds/…`, `lds.json`' }), content: DiscoveryResponseFileSchema }))
      .meta({ description: 'In write order: each file before the files that reference it. Write each atomically (a temp file in the same directory, then rename), then remove files of an earlier export no longer listed.' }),
    warnings: z.array(z.string()).meta({ description: 'E.g. the SDS secrets left out for a caller without secrets:read' }),
  })
  .meta({ id: 'Export' });
export type Export = z.infer<typeof ExportSchema>;

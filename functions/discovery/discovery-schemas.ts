import { z } from 'zod';

/**
 * Envoy's DiscoveryRequest and DiscoveryResponse (envoy.service.discovery.v3) as REST-JSON carries
 * them: proto3 JSON, snake_case as Envoy sends it (camelCase accepted too). Only the fields this
 * control plane reads are described; Envoy sends more, which are ignored.
 */

export const NodeSchema = z
  .looseObject({
    id: z.string().optional(),
    cluster: z.string().optional(),
    user_agent_name: z.string().optional().meta({ description: '`envoy`, or e.g. `gRPC Node Pure JS` for a proxyless gRPC client (gets API listeners)' }),
    metadata: z
      .looseObject({
        labels: z.record(z.string(), z.string()).optional().meta({ description: 'Selects the view (Gateway selectors, sourceLabels); Istio\'s LABELS is accepted too' }),
        NAMESPACE: z.string().optional().meta({ description: 'The proxy\'s namespace (exportTo); `namespace` is accepted too' }),
        xds_token: z.string().optional().meta({ description: 'The poller\'s token, for pollers that cannot send an Authorization header (Envoy)' }),
      })
      .optional(),
    locality: z.looseObject({ region: z.string().optional(), zone: z.string().optional(), sub_zone: z.string().optional() }).optional(),
  })
  .meta({ id: 'Node' });

export const DiscoveryRequestSchema = z
  .looseObject({
    version_info: z.string().optional().meta({ description: 'The version the node holds; equal to the current one → 304' }),
    node: NodeSchema.optional(),
    resource_names: z.array(z.string()).optional().meta({ description: 'EDS, RDS and SDS: exactly these are answered; CDS and LDS: ignored (full state)' }),
    type_url: z.string().optional(),
  })
  .meta({ id: 'DiscoveryRequest' });

export const DiscoveryResponseSchema = z
  .object({
    version_info: z.string().meta({ description: 'A content hash of what this view receives for this type (and names)' }),
    type_url: z.string(),
    resources: z.array(z.looseObject({ '@type': z.string() })).meta({ description: 'Envoy resources as proto3 JSON, each with its `@type`' }),
  })
  .meta({ id: 'DiscoveryResponse' });

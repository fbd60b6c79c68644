import { z } from 'zod';

/** What /proxies and /config_dump answer (/snapshots' answer is the bridge contract's: xds SnapshotsResponseSchema). */

export const NackSchema = z.object({ version: z.string(), message: z.string(), inferred: z.boolean(), at: z.string() });

export const SubscriptionStatusSchema = z
  .object({
    acked: z.string().meta({ description: 'The version the proxy last acknowledged (empty before its first ACK)' }),
    served: z.string().optional().meta({ description: 'The version last served to it' }),
    servedRevision: z.int().optional().meta({ description: 'The revision `served` was rendered from' }),
    nack: NackSchema.optional().meta({ description: 'Present while the proxy rejects `served`' }),
    updatedAt: z.string(),
    seenAt: z.string().optional().meta({ description: 'REST pollers: when the edge last heard this subscription polled (refreshed about every 30 s)' }),
  })
  .meta({ id: 'SubscriptionStatus' });

export const ProxySchema = z
  .object({
    nodeId: z.string(),
    cluster: z.string(),
    userAgent: z.string(),
    labels: z.record(z.string(), z.string()),
    view: z.string().meta({ description: 'The view key its config is rendered for, e.g. `envoy|mesh`' }),
    transport: z.string().meta({ description: '`rest` or `ads`' }),
    bridge: z.string().nullable().meta({ description: 'The bridge that reported it; null for a REST poller' }),
    lastSeen: z.string(),
    stale: z.boolean(),
    subscriptions: z.record(z.string(), SubscriptionStatusSchema).meta({ description: 'By subscription (type URL, with `#names` for EDS and RDS)' }),
  })
  .meta({ id: 'Proxy' });
export type Proxy = z.infer<typeof ProxySchema>;

export const ProxyListSchema = z.object({ items: z.array(ProxySchema) }).meta({ id: 'ProxyList' });

const resources = z.array(z.record(z.string(), z.unknown())).meta({ description: 'Envoy resources as proto3 JSON, each with `@type`' });

export const ConfigDumpSchema = z
  .object({
    revision: z.int(),
    view: z.string(),
    configs: z
      .record(z.enum(['clusters', 'endpoints', 'listeners', 'routes']), z.object({ version_info: z.string(), type_url: z.string(), resources }))
      .meta({ description: 'By resource type, as the proxy would receive it' }),
  })
  .meta({ id: 'ConfigDump' });
export type ConfigDump = z.infer<typeof ConfigDumpSchema>;

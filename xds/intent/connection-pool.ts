import { z } from 'zod';
import { istioObject } from './common';
import { CountSchema, durationAtLeast, WholeSecondsSchema } from './policy-fields';

export const TcpKeepaliveSchema = istioObject({
  probes: z.int().min(1).max(4_294_967_295).optional(),
  time: WholeSecondsSchema.optional(),
  interval: WholeSecondsSchema.optional(),
});

export const TcpSettingsSchema = istioObject({
  maxConnections: CountSchema.optional(),
  connectTimeout: durationAtLeast(1).optional(),
  tcpKeepalive: TcpKeepaliveSchema.optional(),
  maxConnectionDuration: durationAtLeast(1).optional(),
  idleTimeout: durationAtLeast(1).optional(),
});

const H2UpgradeSchema = z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'], {
  error: (iss) => `expected DEFAULT, DO_NOT_UPGRADE or UPGRADE, got ${JSON.stringify(iss.input)}`,
});

export const HttpSettingsSchema = istioObject(
  {
    http1MaxPendingRequests: CountSchema.optional(),
    http2MaxRequests: CountSchema.optional(),
    maxRequestsPerConnection: CountSchema.optional(),
    maxRetries: CountSchema.optional(),
    idleTimeout: durationAtLeast(1).optional(),
    h2UpgradePolicy: H2UpgradeSchema.optional(),
    maxConcurrentStreams: CountSchema.optional(),
  },
  ['useClientProtocol'],
);

export const ConnectionPoolSettingsSchema = istioObject({
  tcp: TcpSettingsSchema.optional(),
  http: HttpSettingsSchema.optional(),
});
export type ConnectionPoolSettings = z.infer<typeof ConnectionPoolSettingsSchema>;

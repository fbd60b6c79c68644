import { formatHostPort } from './address';
import { bootstrapNode } from './node';
import type { GrpcBootstrapOptions } from './types';

/**
 * A proxyless gRPC client's xDS bootstrap (the JSON in GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG,
 * gRFC A27), aimed at a bridge. The bridge does not authenticate ADS clients: insecure channel creds.
 */
export function buildGrpcBootstrap(o: GrpcBootstrapOptions): Record<string, unknown> {
  return {
    xds_servers: [{ server_uri: formatHostPort(o.bridge), channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: bootstrapNode(o.node),
  };
}

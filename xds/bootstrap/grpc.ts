import { formatHostPort } from './address';
import { joinPath } from '../envoy/file-paths';
import { BRIDGE_CERT_FILES } from './bridge-tls';
import { bootstrapNode } from './node';
import type { GrpcBootstrapOptions } from './types';

/**
 * A proxyless gRPC client's xDS bootstrap (the JSON in GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG,
 * gRFC A27), aimed at a bridge: insecure channel creds for a bridge allowing plaintext, or with mTLS gRFC A65's
 * `tls` channel creds (file paths). Not every gRPC reads A65: @grpc/grpc-js-xds 1.14 and C-core 1.51 know only
 * insecure and google_default, and refuse such a bootstrap.
 */
export function buildGrpcBootstrap(o: GrpcBootstrapOptions): Record<string, unknown> {
  return {
    xds_servers: [{ server_uri: formatHostPort(o.bridge), channel_creds: [channelCreds(o)], server_features: ['xds_v3'] }],
    node: bootstrapNode(o.node),
  };
}

function channelCreds(o: GrpcBootstrapOptions): Record<string, unknown> {
  const auth = o.auth;
  if (auth?.mode !== 'mtls') return { type: 'insecure' };
  const file = (name: keyof typeof BRIDGE_CERT_FILES) => joinPath(auth.certDir, BRIDGE_CERT_FILES[name]);
  return { type: 'tls', config: { ca_certificate_file: file('ca'), certificate_file: file('cert'), private_key_file: file('key') } };
}

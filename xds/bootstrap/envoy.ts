import { HTTP_PROTOCOL_OPTIONS_TYPE } from '../envoy/extensions';
import { fileConfigSource, joinPath, WILDCARD_FILES } from '../envoy/file-paths';
import { SYSTEM_CA_BUNDLE } from '../render/build-upstream-tls';
import { isIpAddress, parseHostPort } from './address';
import { bootstrapNode } from './node';
import { statsConfig } from './stats-tags';
import { BRIDGE_CERT_FILES } from './bridge-tls';
import type { AdsBootstrapOptions, BridgeAuth, EnvoyBootstrapOptions, FileBootstrapOptions, HostPort, RestBootstrapOptions } from './types';

type Json = Record<string, unknown>;

const UPSTREAM_TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** The static cluster an ADS bootstrap streams from (as deploy/README.md names it). */
export const ADS_CLUSTER = 'xdsflare';

/** Envoy's admin interface: loopback only, so /config_dump is not open to the network. */
const ADMIN = { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } };

function loadAssignment(name: string, { host, port }: HostPort): Json {
  return { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }] };
}

/** One static cluster to a server: STATIC for an IP address, else resolved by DNS. */
function serverCluster(name: string, target: HostPort, dnsType: 'LOGICAL_DNS' | 'STRICT_DNS'): Json {
  const ip = isIpAddress(target.host);
  return {
    name,
    type: ip ? 'STATIC' : dnsType,
    connect_timeout: '5s',
    ...(ip ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    load_assignment: loadAssignment(name, target),
  };
}

/** TLS to the edge: SNI and the certificate's SAN must be its host, trusted through the system CA bundle. */
function edgeTls(host: string): Json {
  const ip = isIpAddress(host);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_TYPE,
      ...(ip ? {} : { sni: host }),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: SYSTEM_CA_BUNDLE },
          match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }],
        },
      },
    },
  };
}

/**
 * TLS to a bridge: its certificate verified against the mesh CA (SAN = the address dialled), and for mTLS
 * the workload certificate presented. Files are re-read when their directory changes (watched_directory),
 * so rotated certificates apply without a restart.
 */
function bridgeTls(host: string, auth: Exclude<BridgeAuth, { mode: 'none' }>): Json {
  const ip = isIpAddress(host);
  const file = (name: keyof typeof BRIDGE_CERT_FILES) => ({ filename: joinPath(auth.certDir, BRIDGE_CERT_FILES[name]) });
  const watched = { path: auth.certDir };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_TYPE,
      ...(ip ? {} : { sni: host }),
      common_tls_context: {
        alpn_protocols: ['h2'],
        ...(auth.mode === 'mtls' ? { tls_certificates: [{ certificate_chain: file('cert'), private_key: file('key'), watched_directory: watched }] } : {}),
        validation_context: { trusted_ca: file('ca'), watched_directory: watched, match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }] },
      },
    },
  };
}

function restBootstrap(o: RestBootstrapOptions): Json {
  const target = parseHostPort(o.authority, o.tls ? 443 : 80);
  if (!target) throw new Error(`"${o.authority}" is not a host[:port]`);
  // Named after the authority itself: Envoy sends this name as the Host header of every poll.
  const name = o.authority;
  const source = {
    resource_api_version: 'V3',
    api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: [name], refresh_delay: o.refreshDelay, request_timeout: o.requestTimeout },
  };
  // LOGICAL_DNS: one connection target re-resolved as the edge's addresses change (a CDN's anycast).
  const cluster = serverCluster(name, target, 'LOGICAL_DNS');
  if (o.tls) cluster.transport_socket = edgeTls(target.host);
  return {
    node: bootstrapNode(o.node, o.xdsToken ? { xds_token: o.xdsToken } : {}),
    dynamic_resources: { cds_config: source, lds_config: source },
    static_resources: { clusters: [cluster] },
    stats_config: statsConfig(),
    admin: ADMIN,
  };
}

function adsBootstrap(o: AdsBootstrapOptions): Json {
  const cluster = serverCluster(ADS_CLUSTER, o.bridge, 'STRICT_DNS');
  // gRPC needs HTTP/2; keepalives notice a vanished bridge so Envoy reconnects to another replica.
  cluster.typed_extension_protocol_options = {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
      explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } } },
    },
  };
  cluster.upstream_connection_options = { tcp_keepalive: {} };
  const auth = o.auth ?? { mode: 'none' };
  if (auth.mode !== 'none') cluster.transport_socket = bridgeTls(o.bridge.host, auth);
  // Envoy sends initial_metadata on every stream to the bridge: the bearer token of a token-authenticated proxy.
  const metadata = auth.mode === 'token' ? { initial_metadata: [{ key: 'authorization', value: `Bearer ${auth.token}` }] } : {};
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: bootstrapNode(o.node),
    dynamic_resources: {
      ads_config: {
        api_type: o.delta ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: ADS_CLUSTER }, ...metadata }],
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: { clusters: [cluster] },
    stats_config: statsConfig(),
    admin: ADMIN,
  };
}

function fileBootstrap(o: FileBootstrapOptions): Json {
  return {
    node: bootstrapNode(o.node),
    dynamic_resources: {
      cds_config: fileConfigSource(joinPath(o.dir, WILDCARD_FILES.clusters)),
      lds_config: fileConfigSource(joinPath(o.dir, WILDCARD_FILES.listeners)),
    },
    stats_config: statsConfig(),
    admin: ADMIN,
  };
}

/**
 * A complete Envoy bootstrap (envoy.config.bootstrap.v3.Bootstrap as proto3 JSON) for one node:
 * REST polling straight to the edge, ADS to a bridge, or files an export wrote (xds-protocol.md §6).
 */
export function buildEnvoyBootstrap(options: EnvoyBootstrapOptions): Json {
  if (options.mode === 'rest') return restBootstrap(options);
  if (options.mode === 'ads') return adsBootstrap(options);
  return fileBootstrap(options);
}

import type { LocalityInfo } from '../ir/view-types';

/** The node a bootstrap is made for: what the control plane reads to pick its view. */
export interface BootstrapNode {
  id: string;
  /** Envoy's `node.cluster` (the service the proxy belongs to). */
  cluster?: string;
  /** `node.metadata.labels`: Gateways select on them. */
  labels: Record<string, string>;
  /** `node.metadata.namespace`: for exportTo. */
  namespace?: string;
  /** `node.locality`: for localityLbSetting. */
  locality?: LocalityInfo;
}

/** `host:port` of a server; `host` is an IP address or a DNS name (IPv6 without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** REST polling straight to the edge. */
export interface RestBootstrapOptions {
  mode: 'rest';
  node: BootstrapNode;
  /**
   * The edge's authority exactly as the request reached it (`Host` header, e.g. `xds.example.com` or
   * `127.0.0.1:8787`): Envoy sends its xDS cluster's name as the Host of every poll, and the edge names
   * the EDS/RDS config sources it serves after that header, so the cluster must carry this name.
   */
  authority: string;
  /** https: the cluster speaks TLS, SNI and SAN = the host, verified against the system CA bundle. */
  tls: boolean;
  /** Proto3 JSON durations (`"1s"`). */
  refreshDelay: string;
  requestTimeout: string;
  /** node.metadata.xds_token, when anonymous reads are off (a placeholder: never a real token). */
  xdsToken?: string;
}

/**
 * How a proxy proves its identity to a bridge (issue 13): `mtls`, a workload certificate whose URI SAN is
 * its SPIFFE ID (`tls.crt`, `tls.key`, and the mesh CA `ca.crt` under `certDir`, as cert-manager's csi-driver
 * or SPIRE's helper write them); `token`, TLS verified with `ca.crt` plus `authorization: Bearer` metadata
 * (a token bound to the identity); `none`, plaintext, for a bridge that allows it (npm start's).
 */
export type BridgeAuth = { mode: 'none' } | { mode: 'mtls'; certDir: string } | { mode: 'token'; certDir: string; token: string };

/** ADS (state of the world, or delta) to a bridge. */
export interface AdsBootstrapOptions {
  mode: 'ads';
  node: BootstrapNode;
  bridge: HostPort;
  delta: boolean;
  /** Default none (plaintext). */
  auth?: BridgeAuth;
}

/** Envoy's filesystem subscription: CDS and LDS (and through them EDS and RDS) from files under `dir`. */
export interface FileBootstrapOptions {
  mode: 'file';
  node: BootstrapNode;
  dir: string;
}

export type EnvoyBootstrapOptions = RestBootstrapOptions | AdsBootstrapOptions | FileBootstrapOptions;

/** A proxyless gRPC client's GRPC_XDS_BOOTSTRAP, aimed at a bridge. */
export interface GrpcBootstrapOptions {
  node: BootstrapNode;
  bridge: HostPort;
  /** Default none; gRPC's bootstrap has no bearer-token credentials our tokens fit (gRFC A97 takes JWT files). */
  auth?: Exclude<BridgeAuth, { mode: 'token' }>;
}

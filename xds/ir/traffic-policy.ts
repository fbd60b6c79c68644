/**
 * The resolved DestinationRule policy of one cluster (top level, subset and port merged as Istio does).
 * Durations are proto3 JSON strings ("0.500s"); absent fields keep Envoy's or Istio's defaults.
 */

/** What a route hashes on to pick an endpoint of a RING_HASH or MAGLEV cluster. */
export type HashPolicyIR =
  | { kind: 'header'; name: string }
  | { kind: 'cookie'; name: string; ttl: string; path?: string }
  | { kind: 'sourceIp' }
  | { kind: 'queryParameter'; name: string };

export interface ConnectionPoolIR {
  connectTimeout?: string;
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
  /** Keepalive probes, and times in whole seconds; `{}` turns SO_KEEPALIVE on with the OS defaults. */
  tcpKeepalive?: { probes?: number; time?: number; interval?: number };
  idleTimeout?: string;
  maxConnectionDuration?: string;
  maxRequestsPerConnection?: number;
  maxConcurrentStreams?: number;
  /** h2UpgradePolicy: UPGRADE forces HTTP/2 to the upstream, DO_NOT_UPGRADE keeps HTTP/1.1. */
  h2Upgrade?: boolean;
}

export interface OutlierDetectionIR {
  consecutive5xx?: number;
  consecutiveGateway?: number;
  consecutiveLocalOrigin?: number;
  splitExternalLocalOriginErrors?: true;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  /** Envoy's healthy panic threshold; Istio sets it (0 = never panic) whenever outlier detection is on. */
  minHealthPercent: number;
}

export interface UpstreamTlsIR {
  /** ISTIO_MUTUAL: the proxy's workload identity from its own SDS provider (secrets `default` and `ROOTCA`). */
  mode: 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  /** The SNI sent: the rule's `sni`, else the host (unless it is a wildcard); for ISTIO_MUTUAL, else `outbound_.<port>_.<subset>_.<host>`. */
  sni?: string;
  /** Names the server certificate must carry: the rule's, else the SNI (ISTIO_MUTUAL: none). Empty with insecureSkipVerify. */
  subjectAltNames: string[];
  /** A CA bundle file; absent means the system bundle (or the credential's `-cacert` secret). */
  caCertificates?: string;
  clientCertificate?: string;
  privateKey?: string;
  /** An SDS secret name: certificates come from the control plane rather than files. */
  credentialName?: string;
  insecureSkipVerify?: true;
}

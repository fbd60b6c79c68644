/** Gateway servers that are not plaintext HTTP: TLS (HTTPS, TLS; SNI-matched) and TCP listener ports. */
import type { VirtualHostIR, WeightedClusterIR } from './routes';

/** A VirtualService tcp or tls rule: where a connection goes (one cluster, or weighted). */
export interface TcpRouteIR {
  destinations: WeightedClusterIR[];
  source: string;
  /** e.g. `spec.tcp[0]` or `spec.tls[1].match[0]`. */
  path: string;
}

/**
 * A Gateway server's TLS termination: SIMPLE or MUTUAL with certificates from files or SDS
 * (`credentialName`), or ISTIO_MUTUAL with the gateway's workload identity from its own SDS provider.
 */
export interface DownstreamTlsIR {
  mode: 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  credentialName?: string;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  subjectAltNames?: string[];
  /** Envoy's names (`TLSv1_2`); the minimum defaults to TLSv1_2 as in Istio. */
  minProtocolVersion: string;
  maxProtocolVersion?: string;
  cipherSuites?: string[];
  /** HTTPS servers offer h2 and http/1.1. */
  alpn?: string[];
}

/** One filter chain of a TLS or TCP port: matched by SNI (empty: any), then HTTP routes (HTTPS) or a TCP proxy. */
export interface GatewayFilterChainIR {
  serverNames: string[];
  /** Absent for passthrough and plain TCP. */
  tls?: DownstreamTlsIR;
  http?: { routeConfig: string; virtualHosts: VirtualHostIR[] };
  tcp?: TcpRouteIR;
  /** The Gateway server (`Gateway/ns/name`, `spec.servers[i]`) the chain belongs to. */
  source: string;
  path: string;
}

/**
 * A server with tls.mode AUTO_PASSTHROUGH (Istio's east-west gateways): a connection whose SNI is
 * `outbound_.<port>_.<subset>_.<host>` goes, TLS untouched, to that subset of a mesh-internal service
 * its hosts admit. The chains are rendered per view from the clusters it has (render/auto-passthrough).
 */
export interface AutoPassthroughIR {
  /** The server's hosts without their namespaces (Istio ignores those here). */
  hosts: string[];
  source: string;
  path: string;
}

export interface GatewayChainPortIR {
  port: number;
  chains: GatewayFilterChainIR[];
  autoPassthrough?: AutoPassthroughIR[];
}

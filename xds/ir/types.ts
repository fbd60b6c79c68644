/**
 * The intermediate representation: intents resolved, defaulted and named, as plain JSON-serialisable
 * data. Every piece records the object it came from (`Kind/namespace/name`) so diagnostics and
 * config dumps can point back at the user's YAML.
 */
import type { EnvoyFilterIR } from './envoy-filter';
import type { GatewayChainPortIR, TcpRouteIR } from './gateway';
import type { VirtualHostIR } from './routes';
import type { SidecarIR } from './sidecar';
import type { ConnectionPoolIR, HashPolicyIR, OutlierDetectionIR, UpstreamTlsIR } from './traffic-policy';

export type * from './envoy-filter';
export type * from './gateway';
export type * from './route-parts';
export type * from './routes';
export type * from './sidecar';
export type { ConnectionPoolIR, HashPolicyIR, OutlierDetectionIR, UpstreamTlsIR } from './traffic-policy';

/** The intent object (`Kind/namespace/name`) behind a piece of a rendered resource, and the rule in it when known. */
export interface SourceRef {
  object?: string;
  /** Path of the rule in that object, e.g. `spec.http[1]`. */
  objectPath?: string;
}

export type Protocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'HTTPS' | 'TCP' | 'TLS';

export interface ServicePortIR {
  number: number;
  name: string;
  protocol: Protocol;
  targetPort?: number;
}

export interface EndpointIR {
  address: string;
  /** Endpoint port per service port name (absent: the service port's targetPort or number). */
  ports: Record<string, number>;
  labels: Record<string, string>;
  weight?: number;
  locality?: string;
}

/** One host of a ServiceEntry. */
export interface ServiceIR {
  host: string;
  namespace: string;
  source: string;
  resolution: 'STATIC' | 'DNS' | 'NONE';
  ports: ServicePortIR[];
  endpoints: EndpointIR[];
  /** The ServiceEntry's location, when it sets one (render/auto-passthrough reads it). */
  location?: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'PASSTHROUGH';

/** An upstream cluster: a service port, optionally narrowed to a DestinationRule subset. */
export interface ClusterIR {
  name: string;
  host: string;
  port: number;
  protocol: Protocol;
  subset?: string;
  resolution: 'STATIC' | 'DNS' | 'NONE';
  lbPolicy: LbPolicy;
  endpoints: ClusterEndpointIR[];
  /** The ServiceEntry, plus the DestinationRule when the cluster is a subset or has a policy. */
  sources: string[];
  /** DestinationRule traffic policy, resolved for this port and subset (see ./traffic-policy). */
  ringHash?: { minimumRingSize: number };
  maglev?: { tableSize: number };
  hashPolicy?: HashPolicyIR;
  connectionPool?: ConnectionPoolIR;
  outlierDetection?: OutlierDetectionIR;
  tls?: UpstreamTlsIR;
  /** localityLbSetting, applied per view relative to the proxy's locality (see render/locality-lb.ts). */
  localityLb?: LocalityLbIR;
}

/** Istio's localityLbSetting, resolved: present only when it changes anything. */
export interface LocalityLbIR {
  /** Per `from` pattern, the share of traffic per `to` pattern (in the order written). */
  distribute?: { from: string; to: [string, number][] }[];
  /**
   * Priorities by matching region, zone and sub-zone (Istio's default), with region failover pairs.
   * With failoverPriority, present only when the rule sets failover too (Istio then combines both).
   */
  failover?: { from: string; to: string }[];
  /** failoverPriority as written (`key` or `key=value`): priorities by how many leading labels an endpoint shares with the proxy. */
  failoverPriority?: string[];
}

export interface ClusterEndpointIR {
  address: string;
  port: number;
  weight?: number;
  locality?: string;
  /** Only in clusters with failoverPriority: the endpoint's labels among the keys it compares. */
  labels?: Record<string, string>;
}

/**
 * An outbound listener port of the mesh view: HTTP routes, a TCP proxy to the port's cluster (or where a
 * VirtualService tcp `route` sends it), or TLS passed through by SNI (TLS and HTTPS ports).
 */
export type MeshPortIR =
  | { port: number; kind: 'http'; routeConfig: string; virtualHosts: VirtualHostIR[] }
  | { port: number; kind: 'tcp'; cluster: string; route?: TcpRouteIR }
  | { port: number; kind: 'tls'; chains: MeshTlsChainIR[] };

/** A filter chain of a mesh TLS port: connections whose SNI is among `serverNames` (empty: any) go where `route` sends them. */
export interface MeshTlsChainIR {
  serverNames: string[];
  /** The ServiceEntry hosts of the port this chain carries (what a Sidecar's egress hosts are compared with). */
  hosts: string[];
  /** A VirtualService tls (or tcp) rule, or the host's default: its ServiceEntry, to the host's own cluster. */
  route: TcpRouteIR;
}

/** A proxyless gRPC target: an API listener `<host>:<port>` (and `<host>` when it has one port). */
export interface GrpcTargetIR {
  listener: string;
  routeConfig: string;
  virtualHost: VirtualHostIR;
}

export interface GatewayServerPortIR {
  port: number;
  routeConfig: string;
  virtualHosts: VirtualHostIR[];
}

export interface GatewayIR {
  /** `namespace/name`. */
  key: string;
  selector: Record<string, string>;
  ports: GatewayServerPortIR[];
  /** TLS and TCP server ports (absent when the gateway has none). */
  chainPorts?: GatewayChainPortIR[];
  /** Some server names a credentialName: its Secret is the proxy's namespace's (Istio's), so views carry that namespace. */
  secretsFromProxyNamespace?: true;
}

export interface MeshIR {
  services: ServiceIR[];
  clusters: ClusterIR[];
  meshPorts: MeshPortIR[];
  grpcTargets: GrpcTargetIR[];
  gateways: GatewayIR[];
  /** EnvoyFilter patches in the order they apply (absent when there are none). */
  envoyFilters?: EnvoyFilterIR[];
  /** Distinct sourceLabels selectors routes use (absent when none do): views carry the indices their proxy matches. */
  sourceSelectors?: Record<string, string>[];
  /** How many locality parts (region, zone, sub-zone) localityLbSetting compares (absent when no cluster uses it). */
  localityDepth?: number;
  /** Label keys whose proxy values failoverPriority compares (absent when none): views carry the proxy's values. */
  priorityLabelKeys?: string[];
  /**
   * When some exportTo restricts visibility, or DestinationRules apply by the proxy's namespace: the IR
   * of what proxies in each namespace set apart see. The top level is then what every other proxy (and
   * one without a namespace) sees.
   */
  namespaceScopes?: Record<string, MeshIR>;
  /** In a namespace scope: the workloadSelectors of its DestinationRules; views carry the indices their proxy matches. */
  ruleSelectors?: Record<string, string>[];
  /** The IR of that namespace's proxies matching some ruleSelectors, by those indices joined with `,`. */
  selectedScopes?: Record<string, MeshIR>;
  /** Sidecars, by namespace/name (absent when there are none): which one a mesh proxy gets is a view dimension. */
  sidecars?: SidecarIR[];
}

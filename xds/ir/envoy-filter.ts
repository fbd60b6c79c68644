/** EnvoyFilter patches, resolved: applied to rendered resources as the last stage (see render/patch). */
export type PatchTarget =
  | 'CLUSTER'
  | 'LISTENER'
  | 'LISTENER_FILTER'
  | 'NETWORK_FILTER'
  | 'HTTP_FILTER'
  | 'ROUTE_CONFIGURATION'
  | 'VIRTUAL_HOST'
  | 'HTTP_ROUTE';
export type PatchOperation = 'MERGE' | 'ADD' | 'REMOVE' | 'INSERT_BEFORE' | 'INSERT_AFTER' | 'INSERT_FIRST';
/** ANY: every Envoy view; SIDECAR_OUTBOUND: mesh Envoy views; GATEWAY: gateway views; SIDECAR_INBOUND: none (nothing inbound is rendered). */
export type PatchContext = 'ANY' | 'SIDECAR_OUTBOUND' | 'SIDECAR_INBOUND' | 'GATEWAY';

// Matches as Istio reads them: an absent field (proto3: empty string, port 0) matches anything.

/** `name` alone when set; otherwise the parts of an `outbound|port|subset|host` cluster name. */
export interface ClusterMatchIR {
  name?: string;
  service?: string;
  subset?: string;
  portNumber?: number;
}

export interface FilterChainMatchIR {
  name?: string;
  sni?: string;
  transportProtocol?: string;
  /** Comma-separated; the chain must list every one. */
  applicationProtocols?: string;
  destinationPort?: number;
  /** The network filter; `subFilter` the HTTP filter inside the HTTP connection manager. */
  filter?: { name: string; subFilter?: { name: string } };
}

export interface ListenerMatchIR {
  name?: string;
  portNumber?: number;
  listenerFilter?: string;
  filterChain?: FilterChainMatchIR;
}

export type RouteActionMatch = 'ANY' | 'ROUTE' | 'REDIRECT' | 'DIRECT_RESPONSE';

export interface RouteConfigurationMatchIR {
  name?: string;
  /** Present (even empty) narrows to virtual hosts; `route` present marks a route match (Istio's hasRouteMatch). */
  vhost?: { name?: string; domainName?: string; route?: { name?: string; action: RouteActionMatch } };
}

export interface EnvoyPatchIR {
  applyTo: PatchTarget;
  operation: PatchOperation;
  /** Never the proxyless gRPC view. */
  context: PatchContext;
  cluster?: ClusterMatchIR;
  listener?: ListenerMatchIR;
  routeConfiguration?: RouteConfigurationMatchIR;
  /** proto3 JSON of the target (snake_case), absent for REMOVE. */
  value?: Record<string, unknown>;
  /** `spec.configPatches[i]`. */
  path: string;
}

export interface EnvoyFilterIR {
  /** `EnvoyFilter/namespace/name`. */
  source: string;
  priority: number;
  /** workloadSelector.labels: only gateway views whose selectors carry them (mesh views are not told apart by labels). */
  workloadLabels?: Record<string, string>;
  patches: EnvoyPatchIR[];
}

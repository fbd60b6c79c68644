/** Who receives config: the subscriber's node, the view it gets, and how rendered resources point back at their sources. */
import type { SidecarIR } from './sidecar';

/** What the control plane knows of an xDS subscriber, from its DiscoveryRequest.node. */
export interface NodeInfo {
  id: string;
  cluster?: string;
  /** `envoy` for Envoy; gRPC's clients send e.g. `gRPC Node Pure JS`. */
  userAgentName?: string;
  /** e.g. `1.14.1` (grpc-js-xds), `C-core 29.0.0 Python 1.51.1`: what a gRPC client accepts depends on it (xds/clients). */
  userAgentVersion?: string;
  /** node.metadata.labels (or Istio's node.metadata.LABELS). */
  labels: Record<string, string>;
  /** node.metadata.NAMESPACE (Istio's) or node.metadata.namespace: for exportTo. */
  namespace?: string;
  /** node.locality: for localityLbSetting. */
  locality?: LocalityInfo;
}

export interface LocalityInfo {
  region?: string;
  zone?: string;
  subZone?: string;
}

/** Which config a proxy receives: its client kind and the Gateways whose selector matches its labels. */
export interface View {
  client: 'envoy' | 'grpc';
  /** `namespace/name` of each matching Gateway, sorted; empty for a mesh proxy. */
  gateways: string[];
  /**
   * Dimensions present only when the config needs them, so proxies keep sharing snapshots: the
   * proxy's namespace when some exportTo makes it see a different set of objects, its locality
   * (region, zone, sub-zone, cut to the depth some localityLbSetting compares), the indices of
   * the sourceLabels selectors its labels match, and its values of the labels some failoverPriority
   * compares (see xds/ir/view.ts). The namespace also when the mesh default Sidecar reads it, and for
   * a Gateway naming a credentialName (its Secret is looked up there; see xds/secrets/references).
   */
  namespace?: string;
  locality?: string[];
  sources?: number[];
  /** Indices of its namespace scope's DestinationRule workloadSelectors (MeshIR.ruleSelectors) the proxy's labels match. */
  destinationRules?: number[];
  /** The proxy's non-empty values of MeshIR.priorityLabelKeys. */
  labels?: Record<string, string>;
  /**
   * `namespace/name` of the Sidecar that scopes a mesh proxy (Envoy without Gateways, or proxyless gRPC),
   * when one applies; with the mesh default Sidecar using `.`, `namespace` is the proxy's.
   */
  sidecar?: string;
}

/**
 * How rendered resources point at their EDS/RDS/SDS sources: back at the REST poller's xDS cluster,
 * ADS, or files under `dir` (Envoy's filesystem subscription; see xds/envoy/file-paths.ts).
 */
export type Subscriber =
  | { mode: 'rest'; xdsCluster: string; refreshDelay: string }
  | { mode: 'ads' }
  | { mode: 'file'; dir: string };

/**
 * What choosing a proxy's view reads of a config (a MeshIR is one): kept apart so a published root can
 * carry it and an isolate select views without the IR.
 */
export interface ViewSelector {
  gateways: { key: string; selector: Record<string, string>; secretsFromProxyNamespace?: true }[];
  namespaceScopes?: Record<string, ViewSelector>;
  ruleSelectors?: Record<string, string>[];
  selectedScopes?: Record<string, ViewSelector>;
  localityDepth?: number;
  sourceSelectors?: Record<string, string>[];
  priorityLabelKeys?: string[];
  sidecars?: SidecarIR[];
}

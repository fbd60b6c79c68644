/** EnvoyFilter patches, resolved: applied to rendered resources as the last stage (see snapshot/patch). */
export type PatchTarget = 'CLUSTER' | 'LISTENER' | 'ROUTE_CONFIGURATION' | 'VIRTUAL_HOST' | 'HTTP_FILTER';
export type PatchOperation = 'MERGE' | 'ADD' | 'REMOVE' | 'INSERT_BEFORE' | 'INSERT_AFTER' | 'INSERT_FIRST';

export interface EnvoyPatchIR {
  applyTo: PatchTarget;
  operation: PatchOperation;
  /** ANY: every Envoy view; SIDECAR_OUTBOUND: the mesh Envoy view; GATEWAY: gateway views. Never the proxyless gRPC view. */
  context: 'ANY' | 'SIDECAR_OUTBOUND' | 'GATEWAY';
  /** The cluster, listener or route configuration name; absent matches every one. */
  name?: string;
  /** The virtual host (VIRTUAL_HOST) or HTTP filter (HTTP_FILTER) name within it. */
  subName?: string;
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

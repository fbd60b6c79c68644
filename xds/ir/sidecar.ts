/** Sidecars in the IR: what choosing one for a proxy and scoping its view need (see ir/sidecar-scope.ts). */

/** One `namespace/dnsName` of an egress listener, as written but split; `exclude` for a `~`-prefixed one. */
export interface SidecarHostIR {
  /**
   * A namespace name or `*`. `.` only in the root namespace's namespace-wide Sidecar, where it means the
   * proxy's own namespace; other Sidecars' `.` is their own namespace, resolved when translated.
   */
  namespace: string;
  /** `*`, `*.suffix` or a DNS name. */
  host: string;
  exclude?: true;
}

export interface SidecarEgressIR {
  /** Absent for the catch-all listener, which comes last. */
  port?: number;
  hosts: SidecarHostIR[];
}

export interface SidecarIR {
  /** `namespace/name`. */
  key: string;
  source: string;
  namespace: string;
  /** workloadSelector.labels; absent for the namespace-wide Sidecar. */
  selector?: Record<string, string>;
  /** In order, catch-all last; never empty (a Sidecar without egress imports every host, `*` / `*`). */
  egress: SidecarEgressIR[];
  /** outboundTrafficPolicy REGISTRY_ONLY: HTTP requests to a host the route configuration lacks get 502. */
  registryOnly?: true;
}

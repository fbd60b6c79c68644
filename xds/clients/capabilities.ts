/**
 * What each kind of xDS client accepts, by its node.user_agent_name / user_agent_version: the one
 * place for these facts. Each entry names its source (a gRFC, a client source file, or what a real
 * client here did). An unknown or unparsable gRPC client gets the most conservative answer, since a
 * NACK costs the whole resource type while a conservative rendering costs nothing it could have used.
 */

/** A proxyless gRPC client implementation, as its user agent says. */
export type GrpcClientKind = 'grpc-js' | 'c-core' | 'go' | 'java' | 'other';

export interface ClientIdentity {
  kind: GrpcClientKind;
  /** major.minor.patch of the part that decides features (C-core: the core's own version, not the wrapper's). */
  version?: [number, number, number];
}

export interface GrpcCapabilities {
  /** HeaderMatcher.string_match (gRFC A63); without it only exact_match, prefix_match, … are accepted. */
  headerStringMatch: boolean;
  /** Weighted clusters whose weights do not sum to 100 need total_weight set to their sum. */
  needsTotalWeight: boolean;
  /** Cluster lb_policy values accepted; any other makes the client NACK the whole CDS response. */
  lbPolicies: ReadonlySet<string>;
}

/**
 * retry_on values gRPC clients act on (gRFC A44: "cancelled", "deadline-exceeded", "internal",
 * "resource-exhausted", "unavailable"); every other value is ignored with a log line.
 */
export const GRPC_RETRY_ON: ReadonlySet<string> = new Set(['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

/**
 * lb_policy values every proxyless gRPC client accepts: ROUND_ROBIN (gRFC A27) and RING_HASH (gRFC A42).
 * LEAST_REQUEST (gRFC A48) is not in grpc-js-xds 1.14 (src/xds-resource-type/cluster-resource-type.ts
 * accepts only these two) nor C-core 1.51 (NACKed here); which Go and Java releases take it is not
 * verified, so they are treated alike. RANDOM and MAGLEV are in no gRPC client.
 */
export const GRPC_LB_POLICIES: ReadonlySet<string> = new Set(['ROUND_ROBIN', 'RING_HASH']);

/**
 * What a gRPC view renders for a policy gRPC clients lack: MAGLEV is consistent hashing as RING_HASH is
 * (the same hash policies pick the endpoint), the others become round robin, as Istio's proxyless
 * generator leaves them out (pilot/pkg/networking/grpcgen/cds.go).
 */
export function grpcLbPolicy(policy: string): string {
  if (GRPC_LB_POLICIES.has(policy)) return policy;
  return policy === 'MAGLEV' ? 'RING_HASH' : 'ROUND_ROBIN';
}

const semver = (text: string | undefined): [number, number, number] | undefined => {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
};
const atLeast = (v: [number, number, number] | undefined, min: [number, number, number]) =>
  v !== undefined && (v[0] !== min[0] ? v[0] > min[0] : v[1] !== min[1] ? v[1] > min[1] : v[2] >= min[2]);

/**
 * The client behind a gRPC user agent. Seen here: grpc-js-xds sends `gRPC Node Pure JS` / `1.14.1` (its
 * own version); C-core (Python's grpcio) sends `gRPC C-core linux Python` / `C-core 29.0.0 Python 1.51.1`,
 * the core's version first (core 29 is gRPC 1.51; each gRPC minor release bumps the core major).
 * grpc-go says `gRPC Go`, grpc-java `gRPC Java`.
 */
export function clientIdentity(userAgentName: string | undefined, userAgentVersion: string | undefined): ClientIdentity {
  const name = userAgentName ?? '';
  if (/node|pure js/i.test(name)) return withVersion('grpc-js', semver(userAgentVersion));
  if (/c-core/i.test(name)) return withVersion('c-core', semver(/C-core\s+([\d.]+)/i.exec(userAgentVersion ?? '')?.[1]));
  if (/\bgo\b/i.test(name)) return withVersion('go', semver(userAgentVersion));
  if (/java/i.test(name)) return withVersion('java', semver(userAgentVersion));
  return { kind: 'other' };
}

const withVersion = (kind: GrpcClientKind, version: [number, number, number] | undefined): ClientIdentity => (version ? { kind, version } : { kind });

/** What a gRPC client accepts. */
export function grpcCapabilities({ kind, version }: ClientIdentity): GrpcCapabilities {
  return {
    headerStringMatch:
      // grpc-js-xds 1.14.1: src/route.ts matches `string_match` (observed here; older releases not checked).
      (kind === 'grpc-js' && atLeast(version, [1, 14, 0])) ||
      // C-core: gRFC A63, grpc/grpc#32993, first in gRPC 1.56 = core 34. Core 29 (1.51) NACKs it:
      // "Invalid route header matcher specified" (seen here).
      (kind === 'c-core' && atLeast(version, [34, 0, 0])),
    // C-core (xds_route_config.cc) compares the sum of weights with total_weight, which it takes as 100 when
    // unset: "RouteAction weighted_cluster has incorrect total weight" (C-core 1.51, seen here). Which release
    // dropped the check is not verified, so every C-core gets total_weight; it is the weights' sum, so no
    // client reads it differently.
    needsTotalWeight: kind === 'c-core',
    lbPolicies: GRPC_LB_POLICIES,
  };
}

/**
 * A short, stable name for what must change in a view for this client ('' when nothing): clients with
 * the same profile share one adapted snapshot.
 */
export function capabilityProfile(caps: GrpcCapabilities): string {
  return [caps.headerStringMatch ? '' : 'legacy-header-matchers', caps.needsTotalWeight ? 'total-weight' : ''].filter(Boolean).join('+');
}

/** The capabilities a profile stands for (its inverse). */
export function capabilitiesOfProfile(profile: string): GrpcCapabilities {
  const parts = new Set(profile.split('+'));
  return { headerStringMatch: !parts.has('legacy-header-matchers'), needsTotalWeight: parts.has('total-weight'), lbPolicies: GRPC_LB_POLICIES };
}

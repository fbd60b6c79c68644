import { toProtoDuration } from '../intent/duration';
import type { ConnectionPoolSettings } from '../intent/connection-pool';
import type { ConsistentHash } from '../intent/load-balancer';
import type { OutlierDetection } from '../intent/outlier-detection';
import type { ClientTlsSettings } from '../intent/client-tls';
import type { LoadBalancerSettings, TrafficPolicy } from '../intent/traffic-policy';
import type { ClusterIR, ConnectionPoolIR, HashPolicyIR, OutlierDetectionIR, UpstreamTlsIR } from '../ir/types';
import { localityLbIR } from './locality-lb';
import { GRPC_LB_POLICIES, grpcLbPolicy } from '../clients/capabilities';

/** The four policies that apply to one cluster. */
export interface PortPolicy {
  loadBalancer?: LoadBalancerSettings | undefined;
  connectionPool?: ConnectionPoolSettings | undefined;
  outlierDetection?: OutlierDetection | undefined;
  tls?: ClientTlsSettings | undefined;
}

const PARTS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;
const pick = (p: PortPolicy): PortPolicy => Object.fromEntries(PARTS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));

/** A policy's own settings for a port: its port-level entry replaces all four policies, as Istio documents. */
function atPort(policy: TrafficPolicy, port: number): PortPolicy {
  const level = policy.portLevelSettings?.find((p) => p.port.number === port);
  return pick(level ?? policy);
}

/**
 * Istio's MergeTrafficPolicy for one port: the top level (with its port-level entry), then each policy
 * the subset sets replaces the inherited one whole, then the subset's own port-level entry replaces all.
 */
export function effectivePolicy(top: TrafficPolicy | undefined, subset: TrafficPolicy | undefined, port: number): PortPolicy {
  const base = top ? atPort(top, port) : {};
  if (!subset) return base;
  if (subset.portLevelSettings?.some((p) => p.port.number === port)) return atPort(subset, port);
  return { ...base, ...pick(subset) };
}

const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined);
const seconds = (d: string | undefined) => (d === undefined ? undefined : Number(toProtoDuration(d).slice(0, -1)));
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function hashPolicy(hash: ConsistentHash): HashPolicyIR {
  if (hash.httpHeaderName !== undefined) return { kind: 'header', name: hash.httpHeaderName };
  if (hash.httpCookie) return defined({ kind: 'cookie' as const, name: hash.httpCookie.name, ttl: toProtoDuration(hash.httpCookie.ttl), path: hash.httpCookie.path });
  if (hash.httpQueryParameterName !== undefined) return { kind: 'queryParameter', name: hash.httpQueryParameterName };
  return { kind: 'sourceIp' };
}

function loadBalancerIR(lb: LoadBalancerSettings): Partial<ClusterIR> {
  const hash = lb.consistentHash;
  if (!hash) return lb.simple ? { lbPolicy: lb.simple } : {};
  // Istio's mapping: maglev → MAGLEV, otherwise RING_HASH with Envoy's default ring of 1024.
  if (hash.maglev) return { lbPolicy: 'MAGLEV', ...(hash.maglev.tableSize ? { maglev: { tableSize: hash.maglev.tableSize } } : {}), hashPolicy: hashPolicy(hash) };
  return { lbPolicy: 'RING_HASH', ringHash: { minimumRingSize: hash.ringHash?.minimumRingSize ?? 1024 }, hashPolicy: hashPolicy(hash) };
}

function connectionPoolIR({ tcp, http }: ConnectionPoolSettings): ConnectionPoolIR {
  const keepalive = tcp?.tcpKeepalive;
  const upgrade = http?.h2UpgradePolicy;
  return defined({
    connectTimeout: tcp?.connectTimeout && toProtoDuration(tcp.connectTimeout),
    // Istio reads 0 as "not set" for these counters.
    maxConnections: positive(tcp?.maxConnections),
    maxPendingRequests: positive(http?.http1MaxPendingRequests),
    maxRequests: positive(http?.http2MaxRequests),
    maxRetries: positive(http?.maxRetries),
    tcpKeepalive: keepalive && defined({ probes: keepalive.probes, time: seconds(keepalive.time), interval: seconds(keepalive.interval) }),
    idleTimeout: (http?.idleTimeout ?? tcp?.idleTimeout) && toProtoDuration((http?.idleTimeout ?? tcp?.idleTimeout)!),
    maxConnectionDuration: tcp?.maxConnectionDuration && toProtoDuration(tcp.maxConnectionDuration),
    maxRequestsPerConnection: positive(http?.maxRequestsPerConnection),
    maxConcurrentStreams: positive(http?.maxConcurrentStreams),
    h2Upgrade: upgrade === 'UPGRADE' ? true : upgrade === 'DO_NOT_UPGRADE' ? false : undefined,
  });
}

function outlierDetectionIR(od: OutlierDetection): OutlierDetectionIR {
  const split = od.splitExternalLocalOriginErrors === true;
  return defined({
    consecutive5xx: od.consecutive5xxErrors,
    consecutiveGateway: od.consecutiveGatewayErrors,
    consecutiveLocalOrigin: split ? positive(od.consecutiveLocalOriginFailures) : undefined,
    splitExternalLocalOriginErrors: split ? (true as const) : undefined,
    interval: od.interval && toProtoDuration(od.interval),
    baseEjectionTime: od.baseEjectionTime && toProtoDuration(od.baseEjectionTime),
    maxEjectionPercent: positive(od.maxEjectionPercent),
    minHealthPercent: od.minHealthPercent ?? 0,
  });
}

/** Where a cluster goes: Istio's ISTIO_MUTUAL SNI names it (`outbound_.<port>_.<subset>_.<host>`). */
export interface ClusterKey {
  port: number;
  subset: string;
}

function tlsIR(tls: ClientTlsSettings, host: string, key: ClusterKey): UpstreamTlsIR | undefined {
  if (tls.mode === undefined || tls.mode === 'DISABLE') return undefined;
  if (tls.mode === 'ISTIO_MUTUAL') {
    // Istio's SNI for mesh mTLS, which east-west gateways route on; SANs only as given (Istio would add the
    // service's accounts, which ServiceEntries here do not carry): without them any workload of the root CA passes.
    return { mode: tls.mode, sni: tls.sni ?? `outbound_.${key.port}_.${key.subset}_.${host}`, subjectAltNames: tls.subjectAltNames ?? [] };
  }
  // SNI defaults to the host, so TLS origination to an external service just works (Istio's auto SNI).
  const sni = tls.sni ?? (host.startsWith('*') ? undefined : host);
  const insecure = tls.insecureSkipVerify === true;
  return defined({
    mode: tls.mode,
    sni,
    subjectAltNames: insecure ? [] : (tls.subjectAltNames ?? (sni ? [sni] : [])),
    caCertificates: tls.caCertificates,
    clientCertificate: tls.clientCertificate,
    privateKey: tls.privateKey,
    credentialName: tls.credentialName,
    insecureSkipVerify: insecure ? (true as const) : undefined,
  });
}

/** The ClusterIR fields a resolved policy sets (none for an empty policy, so plain clusters stay plain). */
export function policyFields(policy: PortPolicy, host: string, key: ClusterKey): Partial<ClusterIR> {
  const tls = policy.tls && tlsIR(policy.tls, host, key);
  const setting = policy.loadBalancer?.localityLbSetting;
  const localityLb = setting && localityLbIR(setting, policy.outlierDetection !== undefined);
  return {
    ...(localityLb ? { localityLb } : {}),
    ...(policy.loadBalancer ? loadBalancerIR(policy.loadBalancer) : {}),
    ...(policy.connectionPool ? { connectionPool: connectionPoolIR(policy.connectionPool) } : {}),
    ...(policy.outlierDetection ? { outlierDetection: outlierDetectionIR(policy.outlierDetection) } : {}),
    ...(tls ? { tls } : {}),
  };
}

const GRPC_TLS_WARNING = "proxyless gRPC clients reject a cluster with TLS settings (they take TLS only from certificate providers in their own bootstrap): this host's clusters work for Envoy only";

const ISTIO_MUTUAL_WARNING = "ISTIO_MUTUAL takes the proxy's workload certificate (SDS default) and root CA (SDS ROOTCA) from a static cluster sds-grpc its bootstrap must define, reaching an SDS provider such as istio-agent or SPIRE; an Envoy without it rejects these clusters";

/** Paths of every ISTIO_MUTUAL tls in a rule's policies, to remind that the proxy must bring its own identity. */
export function istioMutualPaths(top: TrafficPolicy | undefined, subsets: { trafficPolicy?: TrafficPolicy | undefined }[]): { path: string; message: string }[] {
  const scan = (policy: TrafficPolicy | undefined, at: string) => [
    ...(policy?.tls?.mode === 'ISTIO_MUTUAL' ? [`${at}.tls`] : []),
    ...(policy?.portLevelSettings ?? []).flatMap((p, i) => (p.tls?.mode === 'ISTIO_MUTUAL' ? [`${at}.portLevelSettings[${i}].tls`] : [])),
  ];
  const paths = [...scan(top, 'spec.trafficPolicy'), ...subsets.flatMap((s, i) => scan(s.trafficPolicy, `spec.subsets[${i}].trafficPolicy`))];
  return paths.map((path) => ({ path, message: ISTIO_MUTUAL_WARNING }));
}

/**
 * Paths of every loadBalancer in a rule's policies that proxyless gRPC clients lack (they would reject
 * every cluster of the response), to warn gRPC users: their views render round robin instead.
 */
export function grpcLoadBalancerPaths(top: TrafficPolicy | undefined, subsets: { trafficPolicy?: TrafficPolicy | undefined }[]): { path: string; message: string }[] {
  const lacking = (lb: LoadBalancerSettings | undefined) => {
    const policy = lb && loadBalancerIR(lb).lbPolicy;
    return policy && policy !== 'PASSTHROUGH' && !GRPC_LB_POLICIES.has(policy) ? policy : undefined;
  };
  const scan = (policy: TrafficPolicy | undefined, at: string) => [
    ...[lacking(policy?.loadBalancer)].flatMap((p) => (p ? [{ path: `${at}.loadBalancer`, policy: p }] : [])),
    ...(policy?.portLevelSettings ?? []).flatMap((l, i) => [lacking(l.loadBalancer)].flatMap((p) => (p ? [{ path: `${at}.portLevelSettings[${i}].loadBalancer`, policy: p }] : []))),
  ];
  const found = [...scan(top, 'spec.trafficPolicy'), ...subsets.flatMap((s, i) => scan(s.trafficPolicy, `spec.subsets[${i}].trafficPolicy`))];
  return found.map(({ path, policy }) => ({
    path,
    message: `proxyless gRPC clients reject ${policy} (they take only ${[...GRPC_LB_POLICIES].join(' and ')}): their views give this host's clusters ${grpcLbPolicy(policy)}; Envoys get ${policy}`,
  }));
}

/** Paths of every tls that turns TLS on in a rule's policies (top, port level, subsets), to warn gRPC users. */
export function tlsPolicyPaths(top: TrafficPolicy | undefined, subsets: { trafficPolicy?: TrafficPolicy | undefined }[]): { path: string; message: string }[] {
  const on = (tls: ClientTlsSettings | undefined) => tls?.mode !== undefined && tls.mode !== 'DISABLE';
  const scan = (policy: TrafficPolicy | undefined, at: string) => [
    ...(on(policy?.tls) ? [`${at}.tls`] : []),
    ...(policy?.portLevelSettings ?? []).flatMap((p, i) => (on(p.tls) ? [`${at}.portLevelSettings[${i}].tls`] : [])),
  ];
  const paths = [...scan(top, 'spec.trafficPolicy'), ...subsets.flatMap((s, i) => scan(s.trafficPolicy, `spec.subsets[${i}].trafficPolicy`))];
  return paths.map((path) => ({ path, message: GRPC_TLS_WARNING }));
}

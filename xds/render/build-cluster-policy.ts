import type { ClusterIR, ConnectionPoolIR, OutlierDetectionIR } from '../ir/types';
import type { View } from '../ir/view-types';

type Json = Record<string, unknown>;

/** Istio's circuit-breaker default for every threshold a rule leaves unset: effectively unlimited. */
const UNLIMITED = 4_294_967_295;

const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** lb_policy and its config; ROUND_ROBIN is Envoy's default and left out. */
export function buildLbFields(cluster: ClusterIR): Json {
  if (cluster.lbPolicy === 'ROUND_ROBIN') return {};
  return defined({
    lb_policy: cluster.lbPolicy,
    // UInt64Value: a JSON string.
    ring_hash_lb_config: cluster.ringHash && { minimum_ring_size: String(cluster.ringHash.minimumRingSize) },
    maglev_lb_config: cluster.maglev && { table_size: String(cluster.maglev.tableSize) },
  });
}

/** connectionPool → connect_timeout, one DEFAULT circuit-breaker threshold and TCP keepalive, as Istio renders them. */
export function buildConnectionPoolFields(pool: ConnectionPoolIR): Json {
  return defined({
    connect_timeout: pool.connectTimeout,
    circuit_breakers: {
      thresholds: [
        {
          max_connections: pool.maxConnections ?? UNLIMITED,
          max_pending_requests: pool.maxPendingRequests ?? UNLIMITED,
          max_requests: pool.maxRequests ?? UNLIMITED,
          max_retries: pool.maxRetries ?? UNLIMITED,
          track_remaining: true,
        },
      ],
    },
    upstream_connection_options: pool.tcpKeepalive && {
      tcp_keepalive: defined({ keepalive_probes: pool.tcpKeepalive.probes, keepalive_time: pool.tcpKeepalive.time, keepalive_interval: pool.tcpKeepalive.interval }),
    },
  });
}

/** HttpProtocolOptions' common options from the pool (undefined when the rule sets none). */
export function commonHttpOptions(pool: ConnectionPoolIR | undefined): Json | undefined {
  if (!pool) return undefined;
  const common = defined({ idle_timeout: pool.idleTimeout, max_connection_duration: pool.maxConnectionDuration, max_requests_per_connection: pool.maxRequestsPerConnection });
  return Object.keys(common).length ? common : undefined;
}

/**
 * Istio's outlier detection: consecutive-error ejection, success-rate ejection off, and the healthy
 * panic threshold set from minHealthPercent. gRPC's client implements only success-rate and
 * failure-percentage ejection (gRFC A50), so its view also gets failure-percentage ejection: an endpoint
 * is ejected when more than half of at least N calls in one interval failed, N the smallest count set.
 */
export function buildOutlierFields(od: OutlierDetectionIR, view: View): Json {
  const enforce = (n: number | undefined) => (n === undefined ? undefined : n > 0 ? 100 : 0);
  const outlier: Json = defined({
    consecutive_5xx: od.consecutive5xx,
    enforcing_consecutive_5xx: enforce(od.consecutive5xx),
    consecutive_gateway_failure: od.consecutiveGateway,
    enforcing_consecutive_gateway_failure: enforce(od.consecutiveGateway),
    interval: od.interval,
    base_ejection_time: od.baseEjectionTime,
    max_ejection_percent: od.maxEjectionPercent,
    enforcing_success_rate: 0,
    split_external_local_origin_errors: od.splitExternalLocalOriginErrors,
    consecutive_local_origin_failure: od.consecutiveLocalOrigin,
    enforcing_consecutive_local_origin_failure: enforce(od.consecutiveLocalOrigin),
    enforcing_local_origin_success_rate: od.splitExternalLocalOriginErrors ? 0 : undefined,
  });
  const counts = [od.consecutive5xx, od.consecutiveGateway, od.consecutiveLocalOrigin].filter((n): n is number => n !== undefined && n > 0);
  if (view.client === 'grpc' && counts.length) {
    Object.assign(outlier, {
      enforcing_failure_percentage: 100,
      failure_percentage_threshold: 50,
      failure_percentage_minimum_hosts: 1,
      failure_percentage_request_volume: Math.min(...counts),
    });
  }
  return { outlier_detection: outlier, common_lb_config: { healthy_panic_threshold: { value: od.minHealthPercent } } };
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ADS_TYPE_URLS, type AdsType } from '../../xds';

const PREFIX = 'xdsflare_bridge_';

/** ADS stream flavours, the `protocol` label of {@link BridgeMetrics.connectedProxies}. */
export const ADS_PROTOCOLS = ['sotw', 'delta'] as const;
export type AdsProtocol = (typeof ADS_PROTOCOLS)[number];

/** Outcomes of one poll of the edge, the `result` label of {@link BridgeMetrics.upstreamFetches}. */
export const FETCH_RESULTS = ['changed', 'unchanged', 'error'] as const;
export type FetchResult = (typeof FETCH_RESULTS)[number];

/** Buckets from 1 ms to 60 s: a push is ACKed in milliseconds; a slow proxy or a stuck rollout takes seconds. */
export const CHANGE_TO_ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** The bridge's Prometheus metrics, on a registry of their own. The `type` label is a short name: clusters, endpoints, listeners, routes. */
export interface BridgeMetrics {
  registry: Registry;
  /** Open ADS streams, by protocol. */
  connectedProxies: Gauge<'protocol'>;
  /** Responses sent to proxies, by type. */
  pushes: Counter<'type'>;
  acks: Counter<'type'>;
  nacks: Counter<'type'>;
  /** Seconds from the bridge seeing a new upstream version to a proxy ACKing it, by type. */
  changeToAck: Histogram<'type'>;
  /** Polls of the edge, by result. */
  upstreamFetches: Counter<'result'>;
  /** Failed polls, by reason (e.g. `timeout`, `http_503`, `network`, `decode`). */
  upstreamErrors: Counter<'reason'>;
  /** The edge revision of the snapshot being served. */
  snapshotRevision: Gauge;
  /** Seconds since the served snapshot was fetched; set on every scrape from {@link BridgeMetricsOptions.snapshotAgeSeconds}. */
  snapshotAgeSeconds: Gauge;
  /** Resources encoded from proto3 JSON to binary. */
  encodes: Counter;
  /** 1 while serving the last good snapshot because the edge is unreachable, else 0. */
  staleServing: Gauge;
}

export interface BridgeMetricsOptions {
  /**
   * Age in seconds of the snapshot being served, read on every scrape; `undefined` when there is none
   * yet, shown as NaN (no snapshot is not a fresh one; readiness says why).
   */
  snapshotAgeSeconds?: () => number | undefined;
  /** Register prom-client's process and Node.js runtime metrics too. Default true. */
  defaultMetrics?: boolean;
}

/**
 * Creates the bridge's metrics on a new {@link Registry} (not prom-client's global one, so several
 * bridges or tests in one process never collide). Every known label value starts at 0, so `rate()`
 * and dashboards see a series before its first event.
 */
export function createBridgeMetrics(options: BridgeMetricsOptions = {}): BridgeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const types = Object.keys(ADS_TYPE_URLS) as AdsType[];
  const byType = (name: string, help: string) => zeroed(new Counter({ name: PREFIX + name, help, labelNames: ['type'] as const, registers }), 'type', types);
  const ageSource = options.snapshotAgeSeconds;

  const metrics: BridgeMetrics = {
    registry,
    connectedProxies: new Gauge({ name: `${PREFIX}connected_proxies`, help: 'Open ADS streams from proxies and gRPC clients, by protocol (sotw or delta).', labelNames: ['protocol'] as const, registers }),
    pushes: byType('pushes_total', 'Discovery responses sent to proxies, by resource type.'),
    acks: byType('acks_total', 'Discovery responses proxies acknowledged, by resource type.'),
    nacks: byType('nacks_total', 'Discovery responses proxies rejected (NACK), by resource type.'),
    changeToAck: new Histogram({
      name: `${PREFIX}change_to_ack_seconds`,
      help: 'Seconds from the bridge seeing a new upstream version to a proxy acknowledging it, by resource type.',
      labelNames: ['type'] as const,
      buckets: CHANGE_TO_ACK_BUCKETS,
      registers,
    }),
    upstreamFetches: zeroed(new Counter({ name: `${PREFIX}upstream_fetches_total`, help: 'Polls of the edge API, by result (changed, unchanged, error).', labelNames: ['result'] as const, registers }), 'result', FETCH_RESULTS),
    upstreamErrors: new Counter({ name: `${PREFIX}upstream_errors_total`, help: 'Failed polls of the edge API, by reason.', labelNames: ['reason'] as const, registers }),
    snapshotRevision: new Gauge({ name: `${PREFIX}snapshot_revision`, help: 'Edge config revision of the snapshot being served (0 before the first).', registers }),
    snapshotAgeSeconds: new Gauge({
      name: `${PREFIX}snapshot_age_seconds`,
      help: 'Seconds since the snapshot being served was fetched from the edge (NaN before the first).',
      registers,
      collect() {
        let age: number | undefined;
        try {
          age = ageSource?.();
        } catch {
          // A failing source must not fail the whole scrape; report "unknown".
        }
        this.set(typeof age === 'number' ? age : Number.NaN);
      },
    }),
    encodes: new Counter({ name: `${PREFIX}encodes_total`, help: 'Resources encoded from proto3 JSON to binary protobuf.', registers }),
    staleServing: new Gauge({ name: `${PREFIX}stale_serving`, help: '1 while serving the last good snapshot because the edge is unreachable, else 0.', registers }),
  };
  for (const protocol of ADS_PROTOCOLS) metrics.connectedProxies.set({ protocol }, 0);
  for (const type of types) metrics.changeToAck.zero({ type });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return metrics;
}

function zeroed<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
  return counter;
}

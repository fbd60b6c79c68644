/**
 * Envoy's stats config for the bootstraps this project writes: the cluster name tag kept whole.
 *
 * Envoy's default `envoy.cluster_name` tag ends the name at its first dot, so the stats of
 * `outbound|9080|v2|reviews.default.svc.cluster.local` come out as `envoy_cluster_name="outbound|9080|v2|reviews"`
 * with the rest glued into the metric name, and the analysis templates' `envoy_cluster_name="{{candidate.cluster}}"`
 * matches nothing. Istio's bootstrap (tools/packaging/common/envoy_bootstrap.json) turns the default
 * tags off and tags `cluster_name` by `^cluster(\.(.+);)`, which works because Istio's clusters end their
 * `alt_stat_name` with `;`. Ours carry no `alt_stat_name`, so the name ends instead where the rest of the
 * stat begins: a segment with an underscore (upstream_rq_xx, circuit_breakers, outlier_detection…; DNS
 * names have none) or one of Envoy's few cluster sub-scopes without one. Same tag name as Envoy's
 * default, so the Prometheus label stays `envoy_cluster_name`. Still ambiguous: a host ending in
 * `.zone.<a>.<b>` reads as Envoy's zone stats (`zone.<from>.<to>.upstream_…`).
 */

/** What may follow the cluster name in a cluster stat (`cluster.<name>.<this>`), as a lookahead. */
const STAT_AFTER_NAME = [
  '[^.]*_', // upstream_rq_xx, lb_healthy_panic, membership_total, circuit_breakers.…, outlier_detection.…, health_check.…
  'version$',
  '(?:internal|external|canary)\\.upstream_',
  'zone\\.[^.]+\\.[^.]+\\.upstream_',
  'ssl\\.(?:[^.]+$|(?:ciphers|curves|sigalgs|versions)\\.[^.]+$)',
  'http[123]\\.[^.]+$',
].join('|');

/** Envoy std::regex (ECMAScript), as stats_tags regexes are: group 1 is cut from the name, group 2 is the value. */
export const CLUSTER_NAME_TAG_REGEX = `^cluster\\.((.+?)\\.)(?=${STAT_AFTER_NAME})`;

/**
 * Envoy's default tags kept by name (no regex: Envoy's own), since turning the defaults off is the
 * only way to replace one (an extractor of the same name added later never runs first). Only names
 * Envoy has had for years: a name an Envoy does not know stops it from starting.
 */
export const DEFAULT_TAGS_KEPT = [
  'envoy.response_code',
  'envoy.response_code_class',
  'envoy.http_conn_manager_prefix',
  'envoy.listener_address',
  'envoy.virtual_host',
  'envoy.virtual_cluster',
  'envoy.tcp_prefix',
  'envoy.grpc_bridge_service',
  'envoy.grpc_bridge_method',
  'envoy.http_user_agent',
  'envoy.fault_downstream_cluster',
  'envoy.ssl_cipher',
  'cipher_suite',
  'envoy.ratelimit_prefix',
] as const;

/** Bootstrap.stats_config (envoy.config.metrics.v3.StatsConfig). */
export function statsConfig(): Record<string, unknown> {
  return {
    use_all_default_tags: false,
    stats_tags: [{ tag_name: 'envoy.cluster_name', regex: CLUSTER_NAME_TAG_REGEX }, ...DEFAULT_TAGS_KEPT.map((tag_name) => ({ tag_name }))],
  };
}

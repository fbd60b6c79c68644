import { HTTP_PROTOCOL_OPTIONS_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { ClusterEndpointIR, ClusterIR } from '../ir/types';
import type { Subscriber, View } from '../ir/view-types';
import { buildConnectionPoolFields, buildLbFields, buildOutlierFields, commonHttpOptions } from './build-cluster-policy';
import { viewLoadAssignment } from './build-endpoints';
import { buildUpstreamTls } from './build-upstream-tls';
import { usesOriginalDestination } from '../ir/original-destination';
import { configSource } from './config-source';
import { GRPC_LB_POLICIES, grpcLbPolicy } from '../clients/capabilities';

type Json = Record<string, unknown>;

/** Istio's default connect timeout. */
const CONNECT_TIMEOUT = '10s';

/**
 * One Cluster. STATIC services use EDS over ADS and in files; a REST poller gets their endpoints inline
 * (a STATIC cluster), because Envoy opens one REST subscription per EDS cluster — thousands of polls per
 * refresh in a large mesh — while here endpoints change only by API writes, which change CDS anyway.
 * DNS services resolve in the proxy (STRICT_DNS, or LOGICAL_DNS for gRPC, which lacks STRICT_DNS).
 * NONE services and PASSTHROUGH policies go to the connection's original destination (ORIGINAL_DST,
 * as Istio renders them); proxyless gRPC views never hold them (translateGrpcTargets).
 */
export function buildCluster(cluster: ClusterIR, view: View, subscriber: Subscriber): Json {
  const json: Json = { '@type': RESOURCE_TYPES.clusters, name: cluster.name, connect_timeout: CONNECT_TIMEOUT };
  if (usesOriginalDestination(cluster)) {
    json.type = 'ORIGINAL_DST';
  } else if (cluster.resolution === 'STATIC' && subscriber.mode === 'rest') {
    json.type = 'STATIC';
    json.load_assignment = viewLoadAssignment(cluster.name, cluster.endpoints, cluster.localityLb, view);
  } else if (cluster.resolution === 'STATIC') {
    json.type = 'EDS';
    json.eds_cluster_config = { eds_config: configSource(subscriber, 'endpoints', cluster.name), service_name: cluster.name };
  } else if (view.client === 'grpc') {
    json.type = 'LOGICAL_DNS';
    json.load_assignment = viewLoadAssignment(cluster.name, dnsEndpoints(cluster).slice(0, 1), cluster.localityLb, view);
  } else {
    json.type = 'STRICT_DNS';
    json.dns_lookup_family = 'V4_ONLY';
    json.load_assignment = viewLoadAssignment(cluster.name, dnsEndpoints(cluster), cluster.localityLb, view);
  }
  // An original-destination cluster picks its host itself: Envoy takes no other load balancer for it.
  // A policy gRPC lacks would make its client reject every cluster: it gets the nearest it has (warned at write time).
  if (usesOriginalDestination(cluster)) json.lb_policy = 'CLUSTER_PROVIDED';
  else if (view.client === 'envoy' || GRPC_LB_POLICIES.has(cluster.lbPolicy)) Object.assign(json, buildLbFields(cluster));
  else if (grpcLbPolicy(cluster.lbPolicy) === 'RING_HASH') json.lb_policy = 'RING_HASH';
  if (cluster.connectionPool) Object.assign(json, buildConnectionPoolFields(cluster.connectionPool));
  if (cluster.outlierDetection) Object.assign(json, buildOutlierFields(cluster.outlierDetection, view));
  // Envoy ignores locality weights unless told to use them (gRPC always does).
  if (cluster.localityLb?.distribute) json.common_lb_config = { ...(json.common_lb_config as Json | undefined), locality_weighted_lb_config: {} };
  // h2 for HTTP2/GRPC ports, and for any port whose pool says h2UpgradePolicy: UPGRADE.
  const http2 = cluster.protocol === 'HTTP2' || cluster.protocol === 'GRPC' || cluster.connectionPool?.h2Upgrade === true;
  if (cluster.tls) json.transport_socket = buildUpstreamTls(cluster.tls, subscriber, http2);
  const common = commonHttpOptions(cluster.connectionPool);
  if (view.client === 'envoy' && (http2 || common)) {
    const streams = cluster.connectionPool?.maxConcurrentStreams;
    const explicit = http2 ? { http2_protocol_options: streams ? { max_concurrent_streams: streams } : {} } : { http_protocol_options: {} };
    json.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_PROTOCOL_OPTIONS_TYPE, ...(common ? { common_http_protocol_options: common } : {}), explicit_http_config: explicit },
    };
  }
  return json;
}

/** A DNS service without endpoints resolves its own host name. */
function dnsEndpoints(cluster: ClusterIR): ClusterEndpointIR[] {
  return cluster.endpoints.length ? cluster.endpoints : [{ address: cluster.host, port: cluster.port }];
}

import { HTTP_PROTOCOL_OPTIONS_TYPE } from '../envoy/extensions';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { ClusterEndpointIR, ClusterIR } from '../ir/types';
import type { Subscriber, View } from '../snapshot/types';
import { buildLoadAssignment } from './build-endpoints';
import { configSource } from './config-source';

type Json = Record<string, unknown>;

/** Istio's default connect timeout. */
const CONNECT_TIMEOUT = '10s';

/** One Cluster. STATIC services use EDS; DNS services resolve in the proxy (STRICT_DNS, or LOGICAL_DNS for gRPC, which lacks STRICT_DNS). */
export function buildCluster(cluster: ClusterIR, view: View, subscriber: Subscriber): Json {
  const json: Json = { '@type': RESOURCE_TYPES.clusters, name: cluster.name, connect_timeout: CONNECT_TIMEOUT };
  if (cluster.resolution === 'STATIC') {
    json.type = 'EDS';
    json.eds_cluster_config = { eds_config: configSource(subscriber), service_name: cluster.name };
  } else if (view.client === 'grpc') {
    json.type = 'LOGICAL_DNS';
    json.load_assignment = buildLoadAssignment(cluster.name, dnsEndpoints(cluster).slice(0, 1));
  } else {
    json.type = 'STRICT_DNS';
    json.dns_lookup_family = 'V4_ONLY';
    json.load_assignment = buildLoadAssignment(cluster.name, dnsEndpoints(cluster));
  }
  if (cluster.lbPolicy !== 'ROUND_ROBIN') json.lb_policy = cluster.lbPolicy;
  if (view.client === 'envoy' && (cluster.protocol === 'HTTP2' || cluster.protocol === 'GRPC')) {
    json.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_PROTOCOL_OPTIONS_TYPE, explicit_http_config: { http2_protocol_options: {} } },
    };
  }
  return json;
}

/** A DNS service without endpoints resolves its own host name. */
function dnsEndpoints(cluster: ClusterIR): ClusterEndpointIR[] {
  return cluster.endpoints.length ? cluster.endpoints : [{ address: cluster.host, port: cluster.port }];
}

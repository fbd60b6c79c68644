/** Type URLs of the Envoy extensions the translator embeds as typed configs. */
const t = (name: string) => `type.googleapis.com/${name}`;

export const HCM_TYPE = t('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
export const ROUTER_TYPE = t('envoy.extensions.filters.http.router.v3.Router');
export const TCP_PROXY_TYPE = t('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
export const HTTP_PROTOCOL_OPTIONS_TYPE = t('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
export const PREVIOUS_HOSTS_TYPE = t('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate');
export const FAULT_TYPE = t('envoy.extensions.filters.http.fault.v3.HTTPFault');
export const CORS_TYPE = t('envoy.extensions.filters.http.cors.v3.Cors');
export const CORS_POLICY_TYPE = t('envoy.extensions.filters.http.cors.v3.CorsPolicy');
export const DOWNSTREAM_TLS_TYPE = t('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
export const TLS_INSPECTOR_TYPE = t('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector');

/** HTTP filter names, also the keys of per-route filter configs. */
export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';

/** The router filter, last in every HTTP filter chain (gRPC's client requires it too). */
export const routerFilter = () => ({ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } });
/** The fault filter with no fault of its own: routes bring theirs (gRPC's client implements it too). */
export const faultFilter = () => ({ name: FAULT_FILTER, typed_config: { '@type': FAULT_TYPE } });
/** The CORS filter; routes bring their policies. Envoy only: gRPC's client refuses filters it does not know. */
export const corsFilter = () => ({ name: CORS_FILTER, typed_config: { '@type': CORS_TYPE } });

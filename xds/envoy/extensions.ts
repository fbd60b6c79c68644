/** Type URLs of the Envoy extensions the translator embeds as typed configs. */
const t = (name: string) => `type.googleapis.com/${name}`;

export const HCM_TYPE = t('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
export const ROUTER_TYPE = t('envoy.extensions.filters.http.router.v3.Router');
export const TCP_PROXY_TYPE = t('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
export const HTTP_PROTOCOL_OPTIONS_TYPE = t('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
export const PREVIOUS_HOSTS_TYPE = t('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate');

/** The router filter, last in every HTTP filter chain (gRPC's client requires it too). */
export const routerFilter = () => ({ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } });

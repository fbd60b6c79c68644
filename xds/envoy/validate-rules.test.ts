import { describe, expect, it } from 'vitest';
import { envoyRegistry } from '../../test/support/envoy-registry';
import { HCM_TYPE, routerFilter } from './extensions';
import { RESOURCE_TYPES } from './type-urls';

const validate = (json: Record<string, unknown>) => envoyRegistry().validate(json);

const CLA = RESOURCE_TYPES.endpoints;
const endpoint = (port: number, extra: object = {}) => ({ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: port } } }, ...extra });
const assignment = (lb: object, extra: object = {}) => ({ '@type': CLA, cluster_name: 'c', endpoints: [{ lb_endpoints: [lb] }], ...extra });
const cluster = (extra: object) => ({ '@type': RESOURCE_TYPES.clusters, name: 'c', connect_timeout: '1s', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, ...extra });
const routeConfig = (route: object, vh: object = {}) => ({ '@type': RESOURCE_TYPES.routes, name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [route], ...vh }] });
const route = (extra: object) => ({ match: { prefix: '/' }, route: { cluster: 'c' }, ...extra });
const listener = (hcm: object) => ({
  '@type': RESOURCE_TYPES.listeners,
  name: 'l',
  address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, stat_prefix: 'l', rds: { route_config_name: 'r', config_source: { ads: {} } }, http_filters: [routerFilter()], ...hcm } }] }],
});

describe('validating Envoy resources against their protoc-gen-validate rules', () => {
  it('string.min_len: names the field, the rule and what is wrong', () => {
    expect(validate({ '@type': CLA, cluster_name: '' })).toEqual([{ path: 'cluster_name', rule: 'string.min_len = 1', message: 'must be at least 1 character' }]);
    expect(validate({ '@type': CLA, cluster_name: 'a' })).toEqual([]);
  });

  it('uint32.lte on a nested scalar', () => {
    expect(validate(assignment(endpoint(65536)))).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value', rule: 'uint32.lte = 65535', message: 'must be at most 65535' },
    ]);
    expect(validate(assignment(endpoint(65535)))).toEqual([]);
  });

  it('uint32.gte and uint32.gt on wrapper fields, only when they are set', () => {
    expect(validate(assignment(endpoint(80, { load_balancing_weight: 0 })))).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].load_balancing_weight', rule: 'uint32.gte = 1', message: 'must be at least 1' },
    ]);
    expect(validate(assignment(endpoint(80, { load_balancing_weight: 1 })))).toEqual([]);
    expect(validate(assignment(endpoint(80), { policy: { overprovisioning_factor: 0 } }))).toEqual([{ path: 'policy.overprovisioning_factor', rule: 'uint32.gt = 0', message: 'must be greater than 0' }]);
    expect(validate(assignment(endpoint(80), { policy: { overprovisioning_factor: 1 } }))).toEqual([]);
  });

  it('uint32 ranges (gte and lt together)', () => {
    const status = (n: number) => validate(routeConfig({ match: { prefix: '/' }, direct_response: { status: n } }));
    expect(status(199)).toEqual([{ path: 'virtual_hosts[0].routes[0].direct_response.status', rule: 'uint32.gte = 200', message: 'must be at least 200' }]);
    expect(status(600)).toEqual([{ path: 'virtual_hosts[0].routes[0].direct_response.status', rule: 'uint32.lt = 600', message: 'must be less than 600' }]);
    expect([...status(200), ...status(599)]).toEqual([]);
  });

  it('uint64.lte on a UInt64Value (JSON string)', () => {
    expect(validate(cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '8388609' } }))).toEqual([
      { path: 'ring_hash_lb_config.minimum_ring_size', rule: 'uint64.lte = 8388608', message: 'must be at most 8388608' },
    ]);
    expect(validate(cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '8388608' } }))).toEqual([]);
  });

  it('double.gte/lte inside a message (Percent)', () => {
    const panic = (value: number) => validate(cluster({ common_lb_config: { healthy_panic_threshold: { value } } }));
    expect(panic(100.5)).toEqual([{ path: 'common_lb_config.healthy_panic_threshold.value', rule: 'double.lte = 100', message: 'must be at most 100' }]);
    expect(panic(-1)).toEqual([{ path: 'common_lb_config.healthy_panic_threshold.value', rule: 'double.gte = 0', message: 'must be at least 0' }]);
    expect([...panic(0), ...panic(100)]).toEqual([]);
  });

  it('duration.gt, including a non-zero bound', () => {
    expect(validate(cluster({ connect_timeout: '0s' }))).toEqual([{ path: 'connect_timeout', rule: 'duration.gt = 0s', message: 'must be greater than 0s' }]);
    expect(validate(cluster({ connect_timeout: '0.000000001s' }))).toEqual([]);
    const dns = (rate: string) => validate({ '@type': RESOURCE_TYPES.clusters, name: 'c', connect_timeout: '1s', type: 'STRICT_DNS', dns_refresh_rate: rate });
    expect(dns('0.001s')).toEqual([{ path: 'dns_refresh_rate', rule: 'duration.gt = 0.001s', message: 'must be greater than 0.001s' }]);
    expect(dns('0.001000001s')).toEqual([]);
  });

  it('duration.required', () => {
    const backOff = (b: object) => validate(routeConfig(route({ route: { cluster: 'c', retry_policy: { retry_back_off: b } } })));
    expect(backOff({})).toEqual([{ path: 'virtual_hosts[0].routes[0].route.retry_policy.retry_back_off.base_interval', rule: 'duration.required', message: 'is required' }]);
    expect(backOff({ base_interval: '0.025s' })).toEqual([]);
  });

  it('enum.defined_only and enum.not_in', () => {
    expect(validate(assignment({ endpoint: { address: { socket_address: { protocol: 7, address: '10.0.0.1', port_value: 80 } } } }))).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].endpoint.address.socket_address.protocol', rule: 'enum.defined_only', message: 'must be a value envoy.config.core.v3.SocketAddress.Protocol defines (got 7)' },
    ]);
    const hc = (method: string) => validate(cluster({ health_checks: [{ timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/', method } }] }));
    expect(hc('CONNECT')).toEqual([{ path: 'health_checks[0].http_health_check.method', rule: 'enum.not_in = [CONNECT]', message: 'must not be one of [CONNECT]' }]);
    expect(hc('GET')).toEqual([]);
  });

  it('message.required and oneof.required (validate.required)', () => {
    expect(validate(routeConfig({ route: { cluster: 'c' } }))).toEqual([{ path: 'virtual_hosts[0].routes[0].match', rule: 'message.required', message: 'is required' }]);
    expect(validate(routeConfig({ match: { prefix: '/' } }))).toEqual([{ path: 'virtual_hosts[0].routes[0].action', rule: 'oneof.required', message: 'one of route, redirect, direct_response, filter_action, non_forwarding_action must be set' }]);
    expect(validate(routeConfig({ match: {}, route: { cluster: 'c' } }))).toEqual([
      { path: 'virtual_hosts[0].routes[0].match.path_specifier', rule: 'oneof.required', message: expect.stringMatching(/^one of prefix, path, safe_regex, .* must be set$/) },
    ]);
  });

  it('repeated.min_items and repeated.items string rules, per item', () => {
    expect(validate(routeConfig(route({}), { domains: [] }))).toEqual([{ path: 'virtual_hosts[0].domains', rule: 'repeated.min_items = 1', message: 'must have at least 1 item' }]);
    expect(validate(routeConfig(route({}), { domains: ['a', 'b\nc'] }))).toEqual([
      { path: 'virtual_hosts[0].domains[1]', rule: 'repeated.items.string.well_known_regex = HTTP_HEADER_VALUE, strict = false', message: 'must be an HTTP header value (no NUL, CR or LF)' },
    ]);
    expect(validate(routeConfig(route({ request_headers_to_remove: ['x-a', ''] })))).toEqual([
      { path: 'virtual_hosts[0].routes[0].request_headers_to_remove[1]', rule: 'repeated.items.string.min_len = 1', message: 'must be at least 1 character' },
    ]);
  });

  it('repeated.max_items', () => {
    const add = (n: number) => Array.from({ length: n }, (_, i) => ({ header: { key: `x-${i}`, value: 'v' } }));
    expect(validate(routeConfig(route({}), { request_headers_to_add: add(1001) }))).toEqual([
      { path: 'virtual_hosts[0].request_headers_to_add', rule: 'repeated.max_items = 1000', message: 'must have at most 1000 items' },
    ]);
    expect(validate(routeConfig(route({}), { request_headers_to_add: add(1000) }))).toEqual([]);
  });

  it('repeated.unique', () => {
    const copy = (headers: string[]) => validate(routeConfig(route({ route: { cluster: 'c', internal_redirect_policy: { response_headers_to_copy: headers } } })));
    expect(copy(['x-a', 'x-a'])).toEqual([{ path: 'virtual_hosts[0].routes[0].route.internal_redirect_policy.response_headers_to_copy', rule: 'repeated.unique', message: 'must not repeat an item' }]);
    expect(copy(['x-a', 'x-b'])).toEqual([]);
  });

  it('string header rules: HTTP_HEADER_NAME and max_bytes', () => {
    const header = (key: string, value = 'v') => validate(routeConfig(route({}), { request_headers_to_add: [{ header: { key, value } }] }));
    expect(header('x\u0000y')).toEqual([
      { path: 'virtual_hosts[0].request_headers_to_add[0].header.key', rule: 'string.well_known_regex = HTTP_HEADER_NAME, strict = false', message: 'must be an HTTP header name (no NUL, CR or LF)' },
    ]);
    expect(header('x-a', 'é'.repeat(8193))).toEqual([{ path: 'virtual_hosts[0].request_headers_to_add[0].header.value', rule: 'string.max_bytes = 16384', message: 'must be at most 16384 bytes' }]);
    expect(header('x-a', 'é'.repeat(8192))).toEqual([]);
  });

  it('string.pattern and string.in', () => {
    const sep = (p: string) => validate(routeConfig(route({ match: { path_separated_prefix: p } })));
    expect(sep('/api/')).toEqual([{ path: 'virtual_hosts[0].routes[0].match.path_separated_prefix', rule: 'string.pattern = "^[^?#]+[^?#/]$"', message: 'must match the regular expression ^[^?#]+[^?#/]$' }]);
    expect(sep('/api')).toEqual([]);
    const scheme = (s: string) => validate(listener({ scheme_header_transformation: { scheme_to_overwrite: s } }));
    expect(scheme('ftp')).toEqual([
      { path: 'filter_chains[0].filters[0].typed_config.scheme_header_transformation.scheme_to_overwrite', rule: 'string.in = ["http", "https"]', message: 'must be one of ["http", "https"]' },
    ]);
    expect(scheme('https')).toEqual([]);
  });

  it('recurses into Anys: a typed_config is checked against its own type', () => {
    expect(validate(listener({ stat_prefix: '' }))).toEqual([{ path: 'filter_chains[0].filters[0].typed_config.stat_prefix', rule: 'string.min_len = 1', message: 'must be at least 1 character' }]);
    expect(validate(listener({}))).toEqual([]);
  });

  it('any.required, and the packed type checked once present', () => {
    const policy = (p: object) => validate(routeConfig(route({ match: { path_match_policy: { name: 'envoy.path.match.uri_template.uri_template_matcher', ...p } } })));
    expect(policy({})).toEqual([{ path: 'virtual_hosts[0].routes[0].match.path_match_policy.typed_config', rule: 'any.required', message: 'is required' }]);
    const template = (t: string) => policy({ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig', path_template: t } });
    expect(template('')).toEqual([{ path: 'virtual_hosts[0].routes[0].match.path_match_policy.typed_config.path_template', rule: 'string.min_len = 1', message: 'must be at least 1 character' }]);
    expect(template('/a')).toEqual([]);
  });

  it('map.keys rules, with the key in the path', () => {
    const meta = (key: string) => validate(cluster({ metadata: { filter_metadata: { [key]: { a: 1 } } } }));
    expect(meta('')).toEqual([{ path: 'metadata.filter_metadata[""]', rule: 'map.keys.string.min_len = 1', message: 'must be at least 1 character' }]);
    expect(meta('envoy.lb')).toEqual([]);
  });

  it('map values are walked (typed_extension_protocol_options requires its oneof)', () => {
    const opts = (o: object) => validate(cluster({ typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', ...o } } }));
    expect(opts({})).toEqual([
      { path: 'typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].upstream_protocol_options', rule: 'oneof.required', message: 'one of explicit_http_config, use_downstream_protocol_config, auto_config must be set' },
    ]);
    expect(opts({ explicit_http_config: { http2_protocol_options: {} } })).toEqual([]);
  });

  it('reports an undecodable resource as one proto3_json violation', () => {
    expect(validate({ '@type': CLA, cluster_name: 'c', bogus: 1 })).toEqual([{ path: '', rule: 'proto3_json', message: expect.stringContaining('bogus') }]);
    expect(validate(assignment(endpoint(80, { load_balancing_weight: 2 ** 32 })))).toEqual([{ path: '', rule: 'proto3_json', message: expect.stringContaining('4294967296 out of range') }]);
  });
});

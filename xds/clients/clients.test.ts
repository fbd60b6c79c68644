import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import { adaptForClient } from './adapt';
import { capabilitiesOfProfile, capabilityProfile, clientIdentity, grpcCapabilities, grpcLbPolicy } from './capabilities';
import { envoyRegistry } from '../../test/support/envoy-registry';

// User agents exactly as the real clients sent them to the bridge here (grpc-js-xds 1.14.1, Python grpcio 1.51.1).
const GRPC_JS = clientIdentity('gRPC Node Pure JS', '1.14.1');
const CCORE_151 = clientIdentity('gRPC C-core linux Python', 'C-core 29.0.0 Python 1.51.1');

describe('client capabilities', () => {
  it('reads the client and the version that decides its features from the user agent', () => {
    expect(GRPC_JS).toEqual({ kind: 'grpc-js', version: [1, 14, 1] });
    expect(CCORE_151).toEqual({ kind: 'c-core', version: [29, 0, 0] });
    expect(clientIdentity('gRPC C-core linux Python', 'C-core 34.0.0 Python 1.56.0')).toEqual({ kind: 'c-core', version: [34, 0, 0] });
    expect(clientIdentity('gRPC Go', '1.60.1')).toEqual({ kind: 'go', version: [1, 60, 1] });
    expect(clientIdentity('gRPC Java', undefined)).toEqual({ kind: 'java' });
    expect(clientIdentity('gRPC', undefined)).toEqual({ kind: 'other' });
  });

  it('asks for the older header matchers and total_weight where the client needs them, and nothing for grpc-js 1.14', () => {
    expect(capabilityProfile(grpcCapabilities(GRPC_JS))).toBe('');
    expect(capabilityProfile(grpcCapabilities(CCORE_151))).toBe('legacy-header-matchers+total-weight');
    expect(capabilityProfile(grpcCapabilities(clientIdentity('gRPC C-core linux', 'C-core 34.0.0')))).toBe('total-weight');
    // Unknown versions get the conservative rendering: the older fields every gRPC client accepts.
    expect(capabilityProfile(grpcCapabilities(clientIdentity('gRPC Go', '1.60.1')))).toBe('legacy-header-matchers');
    expect(capabilityProfile(grpcCapabilities(clientIdentity('gRPC Node Pure JS', undefined)))).toBe('legacy-header-matchers');
    for (const profile of ['', 'legacy-header-matchers', 'total-weight', 'legacy-header-matchers+total-weight']) {
      expect(capabilityProfile(capabilitiesOfProfile(profile))).toBe(profile);
    }
  });

  it('maps load balancers gRPC lacks to the nearest it has', () => {
    expect(grpcLbPolicy('ROUND_ROBIN')).toBe('ROUND_ROBIN');
    expect(grpcLbPolicy('RING_HASH')).toBe('RING_HASH');
    expect(grpcLbPolicy('MAGLEV')).toBe('RING_HASH');
    expect(grpcLbPolicy('LEAST_REQUEST')).toBe('ROUND_ROBIN');
    expect(grpcLbPolicy('RANDOM')).toBe('ROUND_ROBIN');
  });
});

describe('adaptForClient', () => {
  const routeConfig = (route: Record<string, unknown>) => ({
    '@type': RESOURCE_TYPES.routes,
    name: 'r',
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }, route] }],
  });
  const registry = envoyRegistry();

  it('says header matches in the pre-A63 fields, with the same meaning, and decodes strictly', () => {
    const rc = routeConfig({
      match: {
        prefix: '/',
        headers: [
          { name: 'a', string_match: { exact: 'x.y' } },
          { name: 'b', string_match: { prefix: 'p' }, invert_match: true },
          { name: 'c', string_match: { safe_regex: { regex: 'v[0-9]+' } } },
          { name: 'd', string_match: { suffix: 's', ignore_case: true } },
          { name: 'e', present_match: true },
        ],
      },
      route: { cluster: 'c' },
    });
    const adapted = adaptForClient(rc, capabilitiesOfProfile('legacy-header-matchers'));
    const headers = (adapted as any).virtual_hosts[0].routes[1].match.headers;
    expect(headers).toEqual([
      { name: 'a', exact_match: 'x.y' },
      { name: 'b', prefix_match: 'p', invert_match: true },
      { name: 'c', safe_regex_match: { regex: 'v[0-9]+' } },
      { name: 'd', safe_regex_match: { regex: '(?i).*s' } },
      { name: 'e', present_match: true },
    ]);
    expect(() => registry.decodeStrict(adapted)).not.toThrow();
    // The input is left as it was, and a route needing nothing is the same object.
    expect((rc as any).virtual_hosts[0].routes[1].match.headers[0]).toEqual({ name: 'a', string_match: { exact: 'x.y' } });
    expect((adapted as any).virtual_hosts[0].routes[0]).toBe((rc as any).virtual_hosts[0].routes[0]);
  });

  it('escapes an ignore_case value into its regex', () => {
    const rc = routeConfig({ match: { prefix: '/', headers: [{ name: 'a', string_match: { exact: 'a.b(c)', ignore_case: true } }] }, route: { cluster: 'c' } });
    const adapted = adaptForClient(rc, capabilitiesOfProfile('legacy-header-matchers')) as any;
    expect(adapted.virtual_hosts[0].routes[1].match.headers[0]).toEqual({ name: 'a', safe_regex_match: { regex: '(?i)a\\.b\\(c\\)' } });
  });

  it('sets total_weight to the sum of weights that do not make 100, for clients that need it', () => {
    const weighted = (weights: number[]) => routeConfig({ match: { prefix: '/' }, route: { weighted_clusters: { clusters: weights.map((weight, i) => ({ name: `c${i}`, weight })) } } });
    const adapted = adaptForClient(weighted([30, 60]), capabilitiesOfProfile('total-weight')) as any;
    expect(adapted.virtual_hosts[0].routes[1].route.weighted_clusters.total_weight).toBe(90);
    expect(() => registry.decodeStrict(adapted)).not.toThrow();
    const hundred = weighted([90, 10]);
    expect(adaptForClient(hundred, capabilitiesOfProfile('total-weight'))).toBe(hundred);
    const other = weighted([30, 60]);
    expect(adaptForClient(other, capabilitiesOfProfile(''))).toBe(other);
  });

  it('leaves other resource types alone', () => {
    const cluster = { '@type': RESOURCE_TYPES.clusters, name: 'c' };
    expect(adaptForClient(cluster, capabilitiesOfProfile('legacy-header-matchers+total-weight'))).toBe(cluster);
  });
});

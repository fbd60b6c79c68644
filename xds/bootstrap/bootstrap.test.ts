import { describe, expect, it } from 'vitest';
import { buildEnvoyBootstrap, buildGrpcBootstrap, parseHostPort, type BootstrapNode } from '..';
import { envoyRegistry } from '../../test/support/envoy-registry';

const BOOTSTRAP_TYPE = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';
const node: BootstrapNode = { id: 'reviews-client-1', cluster: 'productpage', labels: { app: 'productpage' }, namespace: 'bookinfo', locality: { region: 'eu', zone: 'eu-a', subZone: 'rack-1' } };

describe('gRPC bootstrap', () => {
  it('is accepted by @grpc/grpc-js-xds, aimed at the bridge, node as the edge reads it', async () => {
    const { validateBootstrapConfig } = await import('@grpc/grpc-js-xds/build/src/xds-bootstrap');
    const validated = validateBootstrapConfig(buildGrpcBootstrap({ node, bridge: { host: 'xdsflare-bridge.xdsflare-system.svc', port: 18000 } }));
    expect(validated.xdsServers[0]!.server_uri).toBe('xdsflare-bridge.xdsflare-system.svc:18000');
    expect(validated.xdsServers[0]!.channel_creds).toEqual([{ type: 'insecure' }]);
    expect(validated.node).toMatchObject({ id: 'reviews-client-1', cluster: 'productpage', locality: { region: 'eu', zone: 'eu-a', sub_zone: 'rack-1' } });
    // The client sends metadata as a protobuf Struct: labels and namespace where the edge reads them.
    expect(validated.node.metadata).toMatchObject({
      fields: { labels: { structValue: { fields: { app: { stringValue: 'productpage' } } } }, namespace: { stringValue: 'bookinfo' } },
    });
  });

  it('always has node.locality, which the gRPC client requires, and brackets an IPv6 bridge', async () => {
    const { validateBootstrapConfig } = await import('@grpc/grpc-js-xds/build/src/xds-bootstrap');
    const bare = buildGrpcBootstrap({ node: { id: 'c', labels: {} }, bridge: parseHostPort('[::1]:18000')! });
    expect(validateBootstrapConfig(bare).xdsServers[0]!.server_uri).toBe('[::1]:18000');
    expect(bare.node).toEqual({ id: 'c', cluster: 'c', locality: {} });
  });
});

describe('Envoy bootstraps from the pure builder', () => {
  const decode = (b: Record<string, unknown>) => envoyRegistry().decodeStrict({ '@type': BOOTSTRAP_TYPE, ...b });

  it('decode strictly in every mode, with IPv6 and DNS targets', () => {
    decode(buildEnvoyBootstrap({ mode: 'rest', node, authority: '[2001:db8::1]:8443', tls: true, refreshDelay: '1s', requestTimeout: '5s', xdsToken: 'PLACEHOLDER' }));
    decode(buildEnvoyBootstrap({ mode: 'ads', node, bridge: parseHostPort('[::1]:18000')!, delta: true }));
    decode(buildEnvoyBootstrap({ mode: 'file', node, dir: '/etc/envoy/xds' }));
    const rest = buildEnvoyBootstrap({ mode: 'rest', node, authority: '[2001:db8::1]:8443', tls: true, refreshDelay: '1s', requestTimeout: '5s' }) as any;
    const [cluster] = rest.static_resources.clusters;
    expect(cluster.name).toBe('[2001:db8::1]:8443');
    expect(cluster.type).toBe('STATIC');
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '2001:db8::1', port_value: 8443 });
    // No SNI for an address; the certificate must name the IP.
    expect(cluster.transport_socket.typed_config.sni).toBeUndefined();
    expect(cluster.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([{ san_type: 'IP_ADDRESS', matcher: { exact: '2001:db8::1' } }]);
  });

  it('parseHostPort takes IPs and DNS names only', () => {
    expect(parseHostPort('xds.example.com', 443)).toEqual({ host: 'xds.example.com', port: 443 });
    expect(parseHostPort('10.0.0.1:18000')).toEqual({ host: '10.0.0.1', port: 18000 });
    for (const bad of ['', 'a b', 'host:0', 'host:65536', 'host:', '[::1', 'under_score.example', '::1:80', 'http://x']) expect(parseHostPort(bad, 80), bad).toBeUndefined();
  });
});

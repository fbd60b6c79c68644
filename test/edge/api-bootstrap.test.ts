import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADS_TOKEN_PLACEHOLDER, XDS_TOKEN_PLACEHOLDER } from '../../functions/bootstrap/api';
import { app } from '../../functions/index';
import { buildGrpcBootstrap } from '../../xds';
import { ADMIN, apply, callJson, envoy, poll, REVIEWS } from './helpers';

const BOOTSTRAP_TYPE = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';

/** GET /api/v1/bootstrap at an edge reached as `origin` (scheme and Host are what the cluster is named after). */
async function bootstrap(query: string, opts: { origin?: string; json?: boolean; env?: Record<string, string>; token?: string | null } = {}) {
  const origin = opts.origin ?? 'http://edge.test';
  const headers: Record<string, string> = { host: new URL(origin).host };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? ADMIN}`;
  if (opts.json) headers.accept = 'application/json';
  const req = new Request(`${origin}/api/v1/bootstrap?${query}`, { headers });
  let res: Response;
  if (opts.env) {
    const ctx = createExecutionContext();
    res = await app.fetch(req, { ...env, ...opts.env }, ctx);
    await waitOnExecutionContext(ctx);
  } else res = await SELF.fetch(req);
  // Decoded by hand: workerd warns when .text() reads a body whose type is not text/* or JSON.
  const text = new TextDecoder().decode(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : parse(text) };
}

/** Strict decoding against Envoy's own Bootstrap proto, and none of its validation rules broken. */
function expectValidBootstrap(b: Record<string, unknown>) {
  expect(() => envoy().decodeStrict({ '@type': BOOTSTRAP_TYPE, ...b })).not.toThrow();
  expect(envoy().validate({ '@type': BOOTSTRAP_TYPE, ...b })).toEqual([]);
}

describe('GET /api/v1/bootstrap', () => {
  it('rest over https: the xDS cluster is named after the Host the request used, TLS to it, and the edge points RDS back at that cluster', async () => {
    const { status, body: b } = await bootstrap('node=sidecar-1&cluster=productpage&label=app=productpage&label=version=v1&namespace=boot&locality=eu-west1/eu-west1-a', { origin: 'https://xds.example.com', json: true });
    expect(status).toBe(200);
    expectValidBootstrap(b);
    expect(b.node).toEqual({ id: 'sidecar-1', cluster: 'productpage', locality: { region: 'eu-west1', zone: 'eu-west1-a' }, metadata: { labels: { app: 'productpage', version: 'v1' }, namespace: 'boot' } });
    const [cluster] = b.static_resources.clusters;
    expect(cluster).toMatchObject({ name: 'xds.example.com', type: 'LOGICAL_DNS' });
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'xds.example.com', port_value: 443 });
    expect(cluster.transport_socket.typed_config).toMatchObject({ sni: 'xds.example.com', common_tls_context: { validation_context: { trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' } } } });
    for (const source of [b.dynamic_resources.cds_config, b.dynamic_resources.lds_config]) {
      expect(source.api_config_source).toEqual({ api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds.example.com'], refresh_delay: '1s', request_timeout: '5s' });
    }
    expect(b.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 9901 });

    // Envoy polls with that cluster's name as Host; what it gets back points RDS at the same cluster.
    // Its clusters need no config source: over REST a STATIC service's endpoints are inline, nothing is EDS.
    await apply(REVIEWS([80, 20], 'boot'));
    const polled = { host: cluster.name, node: { ...b.node, user_agent_name: 'envoy' } };
    const cds = await poll('clusters', polled);
    expect(cds.body!.resources.filter((r) => r.type === 'EDS' || r.eds_cluster_config)).toEqual([]);
    expect(cds.body!.resources.find((r) => r.name === 'outbound|9080|v1|reviews.boot.svc.cluster.local')).toMatchObject({ type: 'STATIC', load_assignment: { cluster_name: 'outbound|9080|v1|reviews.boot.svc.cluster.local' } });
    const lds = await poll('listeners', polled);
    const rds = lds.body!.resources.flatMap((l) => l.filter_chains.flatMap((fc: Record<string, any>) => fc.filters.map((f: Record<string, any>) => f.typed_config.rds).filter(Boolean)));
    expect(rds.length).toBeGreaterThan(0);
    for (const r of rds) expect(r.config_source.api_config_source.cluster_names).toEqual([cluster.name]);
  });

  it('rest over plain http to an IP and port: a STATIC cluster named host:port, no TLS; YAML unless JSON is asked for', async () => {
    const yaml = await bootstrap('node=sidecar-2', { origin: 'http://127.0.0.1:8787' });
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(yaml.text).toMatch(/^# Envoy bootstrap for node sidecar-2 \(mode rest\)/);
    const json = await bootstrap('node=sidecar-2', { origin: 'http://127.0.0.1:8787', json: true });
    expect(yaml.body).toEqual(json.body);
    // Plain YAML a person can read and any tool can patch: the shared config source is written out twice, not as an alias.
    expect(yaml.text).not.toMatch(/[&*]a\d/);
    expectValidBootstrap(yaml.body);
    const [cluster] = yaml.body.static_resources.clusters;
    expect(cluster).toMatchObject({ name: '127.0.0.1:8787', type: 'STATIC' });
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8787 });
    expect(cluster.transport_socket).toBeUndefined();
    expect(yaml.body.dynamic_resources.cds_config.api_config_source.cluster_names).toEqual(['127.0.0.1:8787']);
    expect(yaml.body.node).toEqual({ id: 'sidecar-2', cluster: 'sidecar-2', locality: {} });
  });

  it('YAML: values Envoy would read as booleans stay strings (Envoy reads plain y/n/yes/no/on/off as true/false, as YAML 1.1 does)', async () => {
    const res = await bootstrap('node=yes&cluster=off&label=canary=on&label=tier=N&namespace=no', { origin: 'http://127.0.0.1:8787' });
    expect(res.status).toBe(200);
    // Envoy's loader (yaml-cpp) types an unquoted scalar before it looks at the field; the yaml-1.1 schema reads it the same way.
    const asEnvoyReadsIt = parse(res.text, { schema: 'yaml-1.1' });
    expect(asEnvoyReadsIt.node).toEqual({ id: 'yes', cluster: 'off', locality: {}, metadata: { labels: { canary: 'on', tier: 'N' }, namespace: 'no' } });
    expect(asEnvoyReadsIt.dynamic_resources).toEqual(res.body.dynamic_resources);
  });

  it('rest with anonymous xDS off: a clearly named placeholder token and a warning, never a real token', async () => {
    const res = await bootstrap('node=sidecar-3', { env: { ALLOW_ANONYMOUS_XDS: 'false' } });
    expect(res.status).toBe(200);
    expectValidBootstrap(res.body);
    expect(res.body.node.metadata.xds_token).toBe(XDS_TOKEN_PLACEHOLDER);
    expect(res.headers.get('warning')).toMatch(/placeholder.*xds:read/);
    expect(res.text).toMatch(/^# WARNING: .*placeholder/m);
    expect(res.text).not.toContain(ADMIN);
    const open = await bootstrap('node=sidecar-3', { json: true });
    expect(open.body.node.metadata).toBeUndefined();
    expect(open.headers.get('warning')).toBeNull();
  });

  it('ads: a static HTTP/2 cluster with keepalives to the bridge (default 127.0.0.1:18000), GRPC or DELTA_GRPC', async () => {
    const sotw = (await bootstrap('node=ingress-1&mode=ads&label=istio=ingressgateway', { json: true })).body;
    expectValidBootstrap(sotw);
    expect(sotw.dynamic_resources.ads_config).toEqual({ api_type: 'GRPC', transport_api_version: 'V3', set_node_on_first_message_only: true, grpc_services: [{ envoy_grpc: { cluster_name: 'xdsflare' } }] });
    expect(sotw.dynamic_resources.cds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect(sotw.dynamic_resources.lds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    const [cluster] = sotw.static_resources.clusters;
    expect(cluster).toMatchObject({ name: 'xdsflare', type: 'STATIC', upstream_connection_options: { tcp_keepalive: {} } });
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 18000 });
    expect(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options.connection_keepalive).toEqual({ interval: '30s', timeout: '5s' });

    const delta = (await bootstrap('node=ingress-1&mode=ads&delta=true&bridge=xdsflare-bridge.xdsflare-system.svc.cluster.local', { json: true })).body;
    expectValidBootstrap(delta);
    expect(delta.dynamic_resources.ads_config.api_type).toBe('DELTA_GRPC');
    expect(delta.static_resources.clusters[0]).toMatchObject({ type: 'STRICT_DNS', load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'xdsflare-bridge.xdsflare-system.svc.cluster.local', port_value: 18000 } } } }] }] } });
  });

  it('ads with a bridge off loopback: mTLS with the workload certificate files (re-read as they rotate), the bridge verified by the mesh CA and its name; or TLS and a placeholder bearer token; or plaintext when asked', async () => {
    const host = 'xdsflare-bridge.xdsflare-system.svc';
    const mtls = await bootstrap(`node=ingress-1&mode=ads&namespace=gw&bridge=${host}`, { json: true });
    expectValidBootstrap(mtls.body);
    const tls = mtls.body.static_resources.clusters[0].transport_socket.typed_config;
    expect(tls).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: host,
      common_tls_context: {
        alpn_protocols: ['h2'],
        tls_certificates: [{ certificate_chain: { filename: '/etc/xdsflare/tls/tls.crt' }, private_key: { filename: '/etc/xdsflare/tls/tls.key' }, watched_directory: { path: '/etc/xdsflare/tls' } }],
        validation_context: { trusted_ca: { filename: '/etc/xdsflare/tls/ca.crt' }, watched_directory: { path: '/etc/xdsflare/tls' }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }] },
      },
    });
    expect(mtls.headers.get('warning')).toBeNull();

    const token = await bootstrap(`node=ingress-1&mode=ads&bridge=10.0.0.9&auth=token&certDir=/run/tls`, { json: true });
    expectValidBootstrap(token.body);
    expect(token.body.dynamic_resources.ads_config.grpc_services).toEqual([{ envoy_grpc: { cluster_name: 'xdsflare' }, initial_metadata: [{ key: 'authorization', value: `Bearer ${ADS_TOKEN_PLACEHOLDER}` }] }]);
    const tokenTls = token.body.static_resources.clusters[0].transport_socket.typed_config.common_tls_context;
    expect(tokenTls.tls_certificates).toBeUndefined();
    expect(tokenTls.validation_context).toMatchObject({ trusted_ca: { filename: '/run/tls/ca.crt' }, match_typed_subject_alt_names: [{ san_type: 'IP_ADDRESS', matcher: { exact: '10.0.0.9' } }] });
    expect(token.headers.get('warning')).toMatch(/placeholder.*identity/);

    const plain = await bootstrap(`node=ingress-1&mode=ads&bridge=${host}&auth=none`, { json: true });
    expect(plain.body.static_resources.clusters[0].transport_socket).toBeUndefined();
    expect(plain.headers.get('warning')).toMatch(/XDSFLARE_ADS_ALLOW_PLAINTEXT/);
  });

  it('grpc with auth=mtls: gRFC A65 tls channel creds with the certificate files, and a warning that the gRPC clients tested here cannot read them', async () => {
    const res = await bootstrap('node=reviews-client-1&mode=grpc&bridge=10.0.0.7:18000&auth=mtls&certDir=/var/run/tls');
    expect(res.body.xds_servers[0].channel_creds).toEqual([{ type: 'tls', config: { ca_certificate_file: '/var/run/tls/ca.crt', certificate_file: '/var/run/tls/tls.crt', private_key_file: '/var/run/tls/tls.key' } }]);
    expect(res.headers.get('warning')).toMatch(/grpc-js-xds 1\.14 or gRPC C-core 1\.51/);
  });

  it('file: CDS and LDS from files under dir, each reloaded when it is renamed into place (and not when another file is)', async () => {
    const b = (await bootstrap('node=edge-file&mode=file&dir=/etc/envoy/xds/', { json: true })).body;
    expectValidBootstrap(b);
    expect(b.dynamic_resources).toEqual({
      cds_config: { path_config_source: { path: '/etc/envoy/xds/cds.json' }, resource_api_version: 'V3' },
      lds_config: { path_config_source: { path: '/etc/envoy/xds/lds.json' }, resource_api_version: 'V3' },
    });
    expect(b.static_resources).toBeUndefined();
  });

  it('grpc: the xDS bootstrap JSON a proxyless client reads, aimed at the bridge, JSON even when YAML is the default', async () => {
    const res = await bootstrap('node=reviews-client-1&mode=grpc&label=app=productpage&bridge=10.0.0.7:18000');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      xds_servers: [{ server_uri: '10.0.0.7:18000', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'reviews-client-1', cluster: 'productpage.default', locality: {}, metadata: { labels: { app: 'productpage' } } },
    });
    expect(res.body).toEqual(buildGrpcBootstrap({ node: { id: 'reviews-client-1', labels: { app: 'productpage' } }, bridge: { host: '10.0.0.7', port: 18000 } }));
  });

  it('refuses bad parameters with a 400 naming each one', async () => {
    const cases: [string, string][] = [
      ['mode=rest', 'node'],
      ['node=a&mode=xds', 'mode'],
      ['node=a&label=app', 'label[0]'],
      ['node=a&label=app=ok&label=-bad=x', 'label[1]'],
      ['node=a&namespace=Not_A_Namespace', 'namespace'],
      ['node=a&locality=eu west', 'locality'],
      ['node=a&mode=ads&bridge=bridge:99999', 'bridge'],
      ['node=a&mode=ads&bridge=bad_host:1', 'bridge'],
      ['node=a&mode=ads&delta=yes', 'delta'],
      ['node=a&mode=file', 'dir'],
      ['node=a&mode=file&dir=relative/path', 'dir'],
      ['node=a&mode=file&dir=/etc/../root', 'dir'],
      ['node=a&dir=/etc/envoy', 'dir'],
      ['node=a&delta=true', 'delta'],
      ['node=a&mode=grpc&delta=true', 'delta'],
      ['node=a&bridge=127.0.0.1:18000', 'bridge'],
      ['node=a&nod=b', 'nod'],
      ['node=a&node=b', 'node'],
      ['node=has%20space', 'node'],
      ['node=a&mode=ads&auth=jwt', 'auth'],
      ['node=a&auth=mtls', 'auth'],
      ['node=a&mode=grpc&auth=token', 'auth'],
      ['node=a&mode=ads&certDir=/etc/tls', 'certDir'],
      ['node=a&mode=ads&auth=mtls&certDir=relative', 'certDir'],
    ];
    for (const [query, path] of cases) {
      const res = await callJson('GET', `/api/v1/bootstrap?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path), query).toEqual([path]);
    }
  });

  it('needs a token with config:read', async () => {
    expect((await bootstrap('node=a', { token: null })).status).toBe(401);
  });
});

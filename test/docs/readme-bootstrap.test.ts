import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildEnvoyBootstrap } from '../../xds';
import { WORKLOAD_SDS_CLUSTER } from '../../xds/render/build-upstream-tls';
import { envoyRegistry } from '../support/envoy-registry';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'config-delivery.md'), 'utf8');

it('the bootstrap in docs/config-delivery.md is what GET /api/v1/bootstrap returns for its request, and a valid Envoy Bootstrap (strict decode against Envoy protos)', () => {
  const block = /```yaml\n(# envoy-bootstrap\.yaml[\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  const bootstrap = parse(block!);
  envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', ...bootstrap });
  // The request the page shows, against npm start (Host 127.0.0.1:8787, XDS_REFRESH_DELAY 1s).
  const request = /curl -s '(http:\/\/127\.0\.0\.1:8787\/api\/v1\/bootstrap\?[^']*)'/.exec(readme)?.[1];
  const query = new URL(request!).searchParams;
  const labels = Object.fromEntries(query.getAll('label').map((l) => l.split('=') as [string, string]));
  const node = { id: query.get('node')!, cluster: query.get('cluster')!, labels };
  expect(bootstrap).toEqual(buildEnvoyBootstrap({ mode: 'rest', node, authority: '127.0.0.1:8787', tls: false, refreshDelay: '1s', requestTimeout: '5s' }));
  // REST subscriptions need exactly one static, non-EDS cluster, and a refresh_delay (xds-protocol.md §1.1).
  for (const source of [bootstrap.dynamic_resources.cds_config, bootstrap.dynamic_resources.lds_config]) {
    expect(source.api_config_source.cluster_names).toEqual(['127.0.0.1:8787']);
    expect(source.api_config_source.refresh_delay).toBeTruthy();
  }
  expect(bootstrap.static_resources.clusters.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([['127.0.0.1:8787', 'STATIC']]);
});

it('the sds-grpc cluster in docs/config-delivery.md (for ISTIO_MUTUAL) is a valid Bootstrap fragment, named as the clusters refer to it', () => {
  const block = /```yaml\n(# sds-grpc cluster[\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  const fragment = parse(block!);
  envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', ...fragment });
  const [cluster] = fragment.static_resources.clusters;
  expect([cluster.name, cluster.load_assignment.cluster_name]).toEqual([WORKLOAD_SDS_CLUSTER, WORKLOAD_SDS_CLUSTER]);
  // gRPC needs HTTP/2 to the SDS server.
  expect(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options).toEqual({});
});

it('a typo in the bootstrap would be caught', () => {
  expect(() => envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', dynamic_resources: { cds_confg: {} } })).toThrow(/cds_confg/);
});

it('the gRPC bootstrap in docs/config-delivery.md is one grpc-js-xds accepts, aimed at the bridge npm start runs', async () => {
  const { validateBootstrapConfig } = await import('@grpc/grpc-js-xds/build/src/xds-bootstrap');
  const block = /## Proxyless gRPC[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  const bootstrap = JSON.parse(block!);
  const validated = validateBootstrapConfig(bootstrap);
  expect(validated.xdsServers[0]!.server_uri).toBe('127.0.0.1:18000');
  expect(validated.node.id).toBeTruthy();
});

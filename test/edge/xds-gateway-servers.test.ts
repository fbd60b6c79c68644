import { describe, expect, it } from 'vitest';
import { apply, envoy, envoyNode, poll } from './helpers';

type Json = Record<string, any>;

const restSource = { api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds_cluster'], refresh_delay: '1s' }, resource_api_version: 'V3' };

// An ingress gateway for a web shop (HTTPS, plain HTTP redirected) and its MySQL (TCP, 90/10 primary/replica).
const SHOP = (mysqlSubset = 'replica') => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: gwl4}
spec:
  selector: {istio: edge-l4}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, serverCertificate: /etc/certs/shop.crt, privateKey: /etc/certs/shop.key}
  - port: {number: 3306, name: mysql, protocol: MYSQL}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shop, namespace: gwl4}
spec:
  hosts: [shop.gwl4.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.9.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: mysql, namespace: gwl4}
spec:
  hosts: [mysql.gwl4.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 3306, name: mysql, protocol: TCP}]
  endpoints: [{address: 10.9.0.2, labels: {role: primary}}, {address: 10.9.0.3, labels: {role: replica}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mysql, namespace: gwl4}
spec:
  host: mysql.gwl4.svc.cluster.local
  subsets: [{name: primary, labels: {role: primary}}, {name: replica, labels: {role: replica}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: gwl4}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http: [{route: [{destination: {host: shop.gwl4.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mysql, namespace: gwl4}
spec:
  hosts: ["*"]
  gateways: [edge]
  tcp:
  - match: [{port: 3306}]
    route:
    - {destination: {host: mysql.gwl4.svc.cluster.local, subset: primary}, weight: 90}
    - {destination: {host: mysql.gwl4.svc.cluster.local, subset: ${mysqlSubset}}, weight: 10}
`;

describe('a gateway proxy with HTTPS and TCP servers', () => {
  const node = envoyNode('edge-l4-1', { istio: 'edge-l4' });

  it('gets a TLS-terminating listener by SNI, an https redirect and a weighted MySQL TCP proxy to clusters it has', async () => {
    expect((await apply(SHOP())).status).toBe(201);
    const lds = await poll('listeners', { node });
    expect(lds.status).toBe(200);
    for (const l of lds.body!.resources) envoy().decodeStrict(l);
    const listeners = new Map(lds.body!.resources.map((l) => [l.name as string, l]));
    expect([...listeners.keys()]).toEqual(['0.0.0.0_3306', '0.0.0.0_443', '0.0.0.0_80']);

    const https = listeners.get('0.0.0.0_443')!;
    expect(https.listener_filters.map((f: Json) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    const [chain] = https.filter_chains;
    expect(chain.filter_chain_match).toEqual({ server_names: ['shop.example.com'] });
    expect(chain.transport_socket.typed_config.common_tls_context.tls_certificates).toEqual([{ certificate_chain: { filename: '/etc/certs/shop.crt' }, private_key: { filename: '/etc/certs/shop.key' } }]);
    const hcm = chain.filters[0].typed_config;
    expect(hcm.rds).toEqual({ config_source: restSource, route_config_name: 'https.443.https.edge.gwl4' });

    const mysql = listeners.get('0.0.0.0_3306')!.filter_chains[0].filters[0].typed_config;
    expect(mysql.weighted_clusters.clusters).toEqual([
      { name: 'outbound|3306|primary|mysql.gwl4.svc.cluster.local', weight: 90 },
      { name: 'outbound|3306|replica|mysql.gwl4.svc.cluster.local', weight: 10 },
    ]);
    const cds = await poll('clusters', { node });
    const clusters = new Set(cds.body!.resources.map((c) => c.name));
    for (const c of mysql.weighted_clusters.clusters) expect(clusters).toContain(c.name);

    const rds = await poll('routes', { node, names: ['http.80', 'https.443.https.edge.gwl4'] });
    for (const r of rds.body!.resources) envoy().decodeStrict(r);
    const byName = new Map(rds.body!.resources.map((r) => [r.name as string, r]));
    expect(byName.get('http.80')!.virtual_hosts).toMatchObject([{ domains: ['shop.example.com', 'shop.example.com:80'], require_tls: 'ALL' }]);
    const secure = byName.get('https.443.https.edge.gwl4')!.virtual_hosts[0];
    expect(secure.domains).toEqual(['shop.example.com', 'shop.example.com:443']);
    expect(secure.require_tls).toBeUndefined();
    expect(secure.routes[0].route.cluster).toBe('outbound|8080||shop.gwl4.svc.cluster.local');

    // A mesh sidecar gets none of the gateway's listeners.
    const mesh = await poll('listeners', { node: envoyNode('sidecar-l4') });
    expect(mesh.body!.resources.map((l) => l.name)).not.toContain('0.0.0.0_443');
  });

  it('refuses a tcp route to an undefined subset with 409, naming the field', async () => {
    const res = await apply(SHOP('standby'));
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([
      { path: 'spec.tcp[0].route[1].destination.subset', message: 'subset standby is not defined by DestinationRule/gwl4/mysql', object: 'VirtualService/gwl4/mysql' },
    ]);
  });
});

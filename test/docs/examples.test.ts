import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, SECRET_TYPE_URL } from '../../xds';
import { startEcho, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';
import { eventually, split } from '../support/echo-traffic';
import { envoyRegistry } from '../support/envoy-registry';
import { startEdge, type RunningEdge } from '../support/start-server';

// examples/ applied exactly as a user would: `npm start`, then examples/apply-all.sh (curl + openssl),
// then what the examples promise, seen through the API, REST xDS and a proxyless gRPC client.
const root = join(import.meta.dirname, '..', '..');
const examples = join(root, 'examples');
const read = (path: string) => readFileSync(join(examples, path), 'utf8');

const MANIFESTS = ['bookinfo/services.yaml', 'bookinfo/routing.yaml', 'canary/reviews.yaml', 'tcp-database/databases.yaml', 'https-gateway/shop.yaml'];
const PLURALS: Record<string, string> = { ServiceEntry: 'serviceentries', DestinationRule: 'destinationrules', VirtualService: 'virtualservices', Gateway: 'gateways' };
type Doc = { kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
const docsOf = (path: string): Doc[] => {
  const parsed = parseManifest(read(path), 'application/yaml');
  if (!parsed.ok) throw new Error(`${path}: ${JSON.stringify(parsed.errors)}`);
  return parsed.documents as Doc[];
};

const TYPES = {
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  secrets: SECRET_TYPE_URL,
} as const;
type XdsType = keyof typeof TYPES;
type Resource = Record<string, any>;
interface Node {
  id: string;
  user_agent_name: string;
  metadata: { labels: Record<string, string>; xds_token?: string };
}
const envoyNode = (id: string, labels: Record<string, string> = {}): Node => ({ id, user_agent_name: 'envoy', metadata: { labels } });

const BOOKINFO_INGRESS = { istio: 'ingressgateway' };
const DATA_GATEWAY = { istio: 'data-gateway' };
const SHOP_GATEWAY = { istio: 'shop-gateway' };
const CANARY_HOST = 'reviews.canary.svc.cluster.local';

let edge: RunningEdge;
let token: string;
let applyOutput: string;

const api = async (method: string, path: string, body?: string, type = 'application/yaml') => {
  const res = await fetch(`${edge.base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': type } : {}) }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
};
const ok = async (method: string, path: string, body?: string, type?: string) => {
  const res = await api(method, path, body, type);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
};

/** One REST xDS poll as Envoy makes it (Host: its xDS cluster's name). */
async function poll(type: XdsType, node: Node, names?: string[]): Promise<{ version_info: string; resources: Resource[] }> {
  const res = await fetch(`${edge.base}/v3/discovery:${type}`, {
    method: 'POST',
    headers: { host: 'xds_cluster', 'content-type': 'application/json' },
    body: JSON.stringify({ node, type_url: TYPES[type], ...(names ? { resource_names: names } : {}) }),
  });
  const text = await res.text();
  expect(res.status, `${type} for ${node.id}: ${text}`).toBe(200);
  const body = JSON.parse(text);
  expect(body.type_url).toBe(TYPES[type]);
  return body;
}

const hcmOf = (filters: Resource[] = []) => filters.find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
/**
 * Everything a node is served over REST: CDS and LDS, then the RDS names they reference (and SDS, with a token).
 * No EDS: over REST a STATIC service's cluster carries its endpoints inline, and an EDS poll for it gets nothing.
 */
async function served(node: Node) {
  const clusters = (await poll('clusters', node)).resources;
  const listeners = (await poll('listeners', node)).resources;
  expect(clusters.filter((c) => c.type === 'EDS' || c.eds_cluster_config)).toEqual([]);
  const inline = clusters.filter((c) => c.type === 'STATIC');
  for (const c of inline) expect(c.load_assignment.cluster_name).toBe(c.name);
  if (inline.length) expect((await poll('endpoints', node, inline.map((c) => c.name))).resources).toEqual([]);
  const rdsNames = [
    ...new Set(
      listeners
        .flatMap((l) => [...(l.filter_chains ?? []).map((fc: Resource) => hcmOf(fc.filters)), l.api_listener?.api_listener])
        .map((hcm) => hcm?.rds?.route_config_name)
        .filter((n): n is string => !!n),
    ),
  ];
  const routes = rdsNames.length ? (await poll('routes', node, rdsNames)).resources : [];
  expect(routes.map((r) => r.name).sort()).toEqual([...rdsNames].sort());
  return { clusters, listeners, routes };
}

/** Strict decoding through Envoy's own protos: an unknown field, a wrong type or a bad enum throws. */
function decodeAll(resources: Resource[]): number {
  for (const r of resources) envoyRegistry().decodeStrict(r);
  return resources.length;
}

beforeAll(async () => {
  edge = await startEdge(8795);
  token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
  const { stdout } = await promisify(execFile)('bash', [join(examples, 'apply-all.sh')], { cwd: root, env: { ...process.env, EDGE: edge.base }, timeout: 60_000 });
  applyOutput = stdout;
  console.log(applyOutput);
}, 180_000);
afterAll(async () => edge?.stop());

describe('examples/apply-all.sh against npm start', () => {
  it('applies every example with curl and prints the revision of each write', () => {
    const revisions = ['bookinfo', 'canary 90/10', 'canary 75/25', 'tcp-database', 'https-gateway secret', 'https-gateway'].map((what) => {
      const m = new RegExp(`^${what.replace('/', '\\/')}: revision (\\d+)$`, 'm').exec(applyOutput);
      expect(m, `${what} in:\n${applyOutput}`).not.toBeNull();
      return Number(m![1]);
    });
    // Each write is one revision, in order (bookinfo's two files are one atomic apply).
    expect(revisions).toEqual(revisions.map((_, i) => revisions[0]! + i));
    expect(applyOutput).toMatch(/^canary 75\/25: rollout phase (no-proxies|converged|pending)$/m);
  });

  it('stores every object of every manifest as written (the canary at its first step)', async () => {
    let count = 0;
    for (const path of MANIFESTS) {
      for (const doc of docsOf(path)) {
        const { kind, metadata } = doc;
        const stored = await ok('GET', `/api/v1/namespaces/${metadata.namespace}/${PLURALS[kind]}/${metadata.name}`);
        expect(stored.kind).toBe(kind);
        expect(stored.metadata.labels).toEqual(metadata.labels);
        if (metadata.annotations) expect(stored.metadata.annotations).toEqual(metadata.annotations);
        if (path.startsWith('canary/') && kind === 'VirtualService') {
          // steps/1-75-25.json-patch.json moved the weights and nothing else.
          const patched = structuredClone(doc.spec) as any;
          patched.http[0].route[0].weight = 75;
          patched.http[0].route[1].weight = 25;
          expect(stored.spec).toEqual(patched);
        } else {
          expect(stored.spec).toEqual(doc.spec);
        }
        count++;
      }
    }
    expect(count).toBe(28);
    // One label per example: what ?prune=true&labelSelector= owns.
    const bookinfo = await ok('GET', '/api/v1/virtualservices?labelSelector=app.kubernetes.io/part-of=bookinfo');
    expect(bookinfo.items.map((o: Doc) => o.metadata.name).sort()).toEqual(['bookinfo', 'details', 'productpage', 'ratings', 'reviews']);

    // The Secret: its certificate's facts, never the key.
    const secret = await api('GET', '/api/v1/namespaces/shop/secrets/shop-example-com-tls');
    expect(secret.status).toBe(200);
    expect(secret.body).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', keys: ['tls.crt', 'tls.key'], certificate: { subject: 'CN=shop.example.com', subjectAltNames: ['DNS:shop.example.com'] } });
    expect(secret.text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  it("bookinfo: the ingress gets productpage's routes; sidecars get header routing, retries, timeouts, fault injection and the traffic policy", async () => {
    const ingress = await served(envoyNode('bookinfo-ingress-1', BOOKINFO_INGRESS));
    expect(ingress.listeners.map((l) => l.name)).toEqual(['0.0.0.0_8080']);
    expect(ingress.routes.map((r) => r.name)).toEqual(['http.8080']);
    const [site] = ingress.routes[0]!.virtual_hosts;
    expect(site.domains).toContain('bookinfo.example.com');
    expect(site.routes.map((r: Resource) => r.match.path ?? r.match.prefix)).toEqual(['/productpage', '/static', '/login', '/logout', '/api/v1/products']);
    for (const r of site.routes) expect(r.route).toMatchObject({ cluster: 'outbound|9080|v1|productpage.bookinfo.svc.cluster.local', timeout: '10s' });
    expect(ingress.clusters.map((c) => c.name)).toContain('outbound|9080|v1|productpage.bookinfo.svc.cluster.local');

    const sidecar = await served(envoyNode('productpage-1', { app: 'productpage' }));
    const vhost = (host: string) => sidecar.routes.find((r) => r.name === '9080')!.virtual_hosts.find((v: Resource) => v.name === `${host}:9080`);
    const reviews = vhost('reviews.bookinfo.svc.cluster.local');
    expect(reviews.routes.map((r: Resource) => [r.name, r.match.headers?.[0]?.string_match?.exact, r.route.cluster])).toEqual([
      ['jason', 'jason', 'outbound|9080|v2|reviews.bookinfo.svc.cluster.local'],
      ['default', undefined, 'outbound|9080|v1|reviews.bookinfo.svc.cluster.local'],
    ]);
    expect(reviews.routes[0].route).toMatchObject({ timeout: '2s', retry_policy: { num_retries: 2, per_try_timeout: '0.800s' } });
    const ratings = vhost('ratings.bookinfo.svc.cluster.local');
    const fault = (name: string) => ratings.routes.find((r: Resource) => r.name === name).typed_per_filter_config?.['envoy.filters.http.fault'];
    expect(fault('delay-jason')).toMatchObject({ delay: { fixed_delay: '7s' } });
    expect(fault('abort-tester')).toMatchObject({ abort: { http_status: 500, percentage: { numerator: 500_000, denominator: 'MILLION' } } });
    expect(fault('default')).toBeUndefined();

    const reviewsV1 = sidecar.clusters.find((c) => c.name === 'outbound|9080|v1|reviews.bookinfo.svc.cluster.local')!;
    expect(reviewsV1.outlier_detection).toMatchObject({ consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 });
    expect(reviewsV1.circuit_breakers.thresholds[0]).toMatchObject({ max_connections: 100, max_pending_requests: 32, max_retries: 3 });
    const reviewsV3 = sidecar.clusters.find((c) => c.name === 'outbound|9080|v3|reviews.bookinfo.svc.cluster.local')!;
    expect(reviewsV3.circuit_breakers.thresholds[0]).toMatchObject({ max_connections: 20, max_pending_requests: 4, max_retries: 1 });
    const v2 = sidecar.clusters.find((c) => c.name === 'outbound|9080|v2|reviews.bookinfo.svc.cluster.local')!;
    expect(v2.type).toBe('STATIC');
    expect(v2.load_assignment.endpoints.flatMap((l: Resource) => l.lb_endpoints.map((e: Resource) => e.endpoint.address.socket_address))).toEqual([{ address: '10.10.1.21', port_value: 9080 }]);
  });

  it('tcp-database: the data gateway gets 3306 (all to the MySQL primary) and 6379 (Redis 80/20) as tcp_proxy listeners', async () => {
    const gw = await served(envoyNode('data-gateway-1', DATA_GATEWAY));
    expect(gw.listeners.map((l) => l.name).sort()).toEqual(['0.0.0.0_3306', '0.0.0.0_6379']);
    const proxy = (port: number) => {
      const l = gw.listeners.find((x) => x.address.socket_address.port_value === port)!;
      const [filter] = l.filter_chains[0].filters;
      expect(filter.name).toBe('envoy.filters.network.tcp_proxy');
      return filter.typed_config;
    };
    expect(proxy(3306).cluster).toBe('outbound|3306|primary|mysql.data.svc.cluster.local');
    expect(proxy(6379).weighted_clusters.clusters).toEqual([
      { name: 'outbound|6379|old|redis.data.svc.cluster.local', weight: 80 },
      { name: 'outbound|6379|new|redis.data.svc.cluster.local', weight: 20 },
    ]);
    const names = gw.clusters.map((c) => c.name);
    for (const c of ['outbound|3306|primary|mysql.data.svc.cluster.local', 'outbound|6379|old|redis.data.svc.cluster.local', 'outbound|6379|new|redis.data.svc.cluster.local']) expect(names).toContain(c);
    // Redis is resolved by DNS: the cluster carries the hostnames, with the subset's only.
    const redisNew = gw.clusters.find((c) => c.name === 'outbound|6379|new|redis.data.svc.cluster.local')!;
    expect(redisNew.type).toBe('STRICT_DNS');
    expect(JSON.stringify(redisNew.load_assignment)).toContain('redis-new.cache.example.internal');
    expect(JSON.stringify(redisNew.load_assignment)).not.toContain('redis-old');
  });

  it('https-gateway: 443 terminates TLS with the SDS secret, 80 redirects, and SDS serves the secret to a token with secrets:read only', async () => {
    const gw = await served(envoyNode('shop-gateway-1', SHOP_GATEWAY));
    expect(gw.listeners.map((l) => l.name).sort()).toEqual(['0.0.0.0_443', '0.0.0.0_80']);
    const https = gw.listeners.find((l) => l.name === '0.0.0.0_443')!;
    const [chain] = https.filter_chains;
    expect(chain.filter_chain_match.server_names).toEqual(['shop.example.com']);
    const tls = chain.transport_socket.typed_config;
    expect(tls['@type']).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
    expect(tls.common_tls_context.tls_certificate_sds_secret_configs.map((s: Resource) => s.name)).toEqual(['kubernetes://shop-example-com-tls']);
    const rds = hcmOf(chain.filters).rds.route_config_name;
    const shop = gw.routes.find((r) => r.name === rds)!.virtual_hosts[0];
    expect(shop.domains).toContain('shop.example.com');
    expect(shop.routes.map((r: Resource) => [r.name, r.route.cluster])).toEqual([
      ['api', 'outbound|8080||api.shop.svc.cluster.local'],
      ['web', 'outbound|8080||web.shop.svc.cluster.local'],
    ]);
    const redirect = gw.routes.find((r) => r.name !== rds)!.virtual_hosts;
    expect(redirect.map((v: Resource) => v.require_tls)).toEqual(['ALL']);

    const name = 'kubernetes://shop-example-com-tls';
    const node = { ...envoyNode('shop-gateway-1', SHOP_GATEWAY) };
    const anonymous = await fetch(`${edge.base}/v3/discovery:secrets`, { method: 'POST', headers: { host: 'xds_cluster', 'content-type': 'application/json' }, body: JSON.stringify({ node, type_url: SECRET_TYPE_URL, resource_names: [name] }) });
    expect(anonymous.status).toBe(401);
    // The admin token implies secrets:read.
    const sds = await poll('secrets', { ...node, metadata: { ...node.metadata, xds_token: token } }, [name]);
    expect(sds.resources.map((r) => r.name)).toEqual([name]);
    expect(Object.keys(sds.resources[0]!.tls_certificate).sort()).toEqual(['certificate_chain', 'private_key']);
    expect(atob(sds.resources[0]!.tls_certificate.certificate_chain.inline_bytes)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(decodeAll(sds.resources)).toBe(1);
    // A sidecar's view references no such secret: nothing.
    expect((await poll('secrets', { ...envoyNode('productpage-1'), metadata: { labels: {}, xds_token: token } }, [name])).resources).toEqual([]);
  });

  it('every resource served to every view strictly decodes against Envoy protos, and config_dump agrees', async () => {
    const views: Array<[string, Node]> = [
      ['sidecar', envoyNode('productpage-1', { app: 'productpage' })],
      ['bookinfo ingress', envoyNode('bookinfo-ingress-1', BOOKINFO_INGRESS)],
      ['data gateway', envoyNode('data-gateway-1', DATA_GATEWAY)],
      ['shop gateway', envoyNode('shop-gateway-1', SHOP_GATEWAY)],
      ['proxyless gRPC', { id: 'reviews-client-1', user_agent_name: 'gRPC Node Pure JS', metadata: { labels: { app: 'productpage' } } }],
    ];
    for (const [what, node] of views) {
      const all = await served(node);
      const n = Object.values(all).reduce((sum, resources) => sum + decodeAll(resources), 0);
      console.log(`${what}: ${n} resources strictly decoded (${Object.entries(all).map(([t, r]) => `${r.length} ${t}`).join(', ')})`);
      expect(all.clusters.length).toBeGreaterThan(0);
      expect(all.listeners.length).toBeGreaterThan(0);
      const labels = Object.entries(node.metadata.labels).map(([k, v]) => `${k}=${v}`).join(',');
      const dump = await ok('GET', `/api/v1/config_dump?labels=${encodeURIComponent(labels)}&client=${node.user_agent_name === 'envoy' ? 'envoy' : 'grpc'}`);
      expect(dump.configs.listeners.resources.map((l: Resource) => l.name).sort()).toEqual(all.listeners.map((l) => l.name).sort());
      expect(dump.configs.clusters.resources.length).toBe(all.clusters.length);
    }
    // The gRPC view: an API listener per host:port, the canary's among them.
    const grpc = await poll('listeners', views[4]![1]);
    expect(grpc.resources.map((l) => l.name)).toContain(`${CANARY_HOST}:9080`);
  });
});

describe('the canary with a proxyless gRPC client through the bridge', () => {
  const backends: EchoBackend[] = [];
  beforeAll(async () => {
    // Two v1 endpoints and one v2, as in the example; they answer their subset's name.
    for (const v of ['v1', 'v1', 'v2']) backends.push(await startEcho(v));
  });
  afterAll(async () => Promise.all(backends.map((b) => b.stop())));

  it('follows the steps (75/25, 50/50, 0/100) applied from examples/canary/steps, and previews a subset by header', async () => {
    // The example's ServiceEntry with its 10.20.0.x endpoints pointed at the echo backends on loopback;
    // the DestinationRule and the VirtualService (at step 1, 75/25) stay exactly as apply-all.sh left them.
    const entry = docsOf('canary/reviews.yaml').find((d) => d.kind === 'ServiceEntry')! as any;
    expect(entry.spec.endpoints.map((e: Resource) => e.labels.version)).toEqual(['v1', 'v1', 'v2']);
    entry.spec.endpoints = entry.spec.endpoints.map((e: Resource, i: number) => ({ ...e, address: '127.0.0.1', ports: { grpc: backends[i]!.port } }));
    await ok('POST', '/api/v1/apply', JSON.stringify([entry]), 'application/json');

    const client = await xdsEchoClient(edge.bridge!.adsPort, `${CANARY_HOST}:9080`, 'examples-canary-client', { app: 'productpage' });
    try {
      await eventually(async () => ((await split(client.call, 40)).v2 ? true : undefined), 15_000);
      const at75 = await split(client.call, 400);
      console.log('75/25 over 400 calls:', at75);
      // Binomial sd over 400 calls at p = 0.25 is 8.7 calls; ±35 is 4 sd.
      expect(at75.v2).toBeGreaterThanOrEqual(65);
      expect(at75.v2).toBeLessThanOrEqual(135);
      expect((at75.v1 ?? 0) + (at75.v2 ?? 0)).toBe(400);

      // xdsflare.dev/preview: header — x-route-to picks a subset whatever the weights.
      const preview = (subset: string) => Promise.all(Array.from({ length: 20 }, () => client.call(5000, { 'x-route-to': subset })));
      expect(new Set(await preview('v2'))).toEqual(new Set(['v2']));
      expect(new Set(await preview('v1'))).toEqual(new Set(['v1']));

      const step = async (file: string, type: string) => {
        const res = await api('PATCH', `/api/v1/namespaces/canary/virtualservices/reviews`, read(`canary/steps/${file}`), type);
        expect(res.status, res.text).toBe(200);
        return Number(res.body.metadata.resourceVersion);
      };
      await step('2-50-50.json-patch.json', 'application/json-patch+json');
      await eventually(async () => {
        const window = await split(client.call, 100);
        return (window.v1 ?? 0) >= 30 && (window.v2 ?? 0) >= 30 ? true : undefined;
      }, 15_000, 0);

      const promoted = await step('3-0-100.merge-patch.json', 'application/merge-patch+json');
      await eventually(async () => ((await split(client.call, 50)).v2 === 50 ? true : undefined), 15_000, 0);
      expect(await split(client.call, 200)).toEqual({ v2: 200 });
      // Still previewable: v1 at weight 0 is reachable by header only.
      expect(new Set(await preview('v1'))).toEqual(new Set(['v1']));

      // What a pipeline waits on: the revision's status shows this client converged on the promotion.
      await eventually(async () => {
        const s = await ok('GET', `/api/v1/revisions/${promoted}/status?wait=5`);
        return s.proxies.find((p: { node_id: string; state: string }) => p.node_id === 'examples-canary-client' && p.state === 'converged');
      }, 20_000, 500);
      // A step's test operations guard the order of the destinations: one expecting v2 first is a 400, and nothing moves.
      const swapped = read('canary/steps/2-50-50.json-patch.json').replace('"v1"', '"vX"').replace('"v2"', '"v1"').replace('"vX"', '"v2"');
      const refused = await api('PATCH', '/api/v1/namespaces/canary/virtualservices/reviews', swapped, 'application/json-patch+json');
      expect(refused.status, refused.text).toBe(400);
      expect((await ok('GET', '/api/v1/namespaces/canary/virtualservices/reviews')).metadata.resourceVersion).toBe(String(promoted));
    } finally {
      client.close();
    }
  }, 90_000);
});

describe('examples/README.md', () => {
  it("runs every shell block of the README as written (only the edge's port and the status wait differ)", async () => {
    const readme = read('README.md');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const script = `set -euo pipefail\n${blocks.join('\n').replaceAll('http://127.0.0.1:8787', edge.base).replaceAll('?wait=60', '?wait=2')}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: root, timeout: 60_000 });
    // The writes answered (curl --fail-with-body stops the script on any refusal), and the reads show what the README says.
    expect(stdout).toContain('"name":"0.0.0.0_8080"');
    expect(stdout).toContain('"name":"http.8080"');
    expect(stdout).toContain('"name":"reviews.canary.svc.cluster.local:9080"');
    expect(stdout).toMatch(/"weight":100/);
    expect(stdout).toMatch(/"phase":"(converged|rejected|pending|no-proxies)"/);
    expect(stdout).toContain('"cluster":"outbound|3306|primary|mysql.data.svc.cluster.local"');
    expect(stdout).toContain('"subject":"CN=shop.example.com"');
    expect(stdout).toContain('"name":"kubernetes://shop-example-com-tls"');
    expect(stdout).toMatch(/"token":"xf_[0-9a-f]+"/);
    // The canary ends promoted, as its last step says.
    const vs = await ok('GET', '/api/v1/namespaces/canary/virtualservices/reviews');
    expect(vs.spec.http[0].route.map((r: Resource) => r.weight)).toEqual([0, 100]);
  }, 90_000);
});

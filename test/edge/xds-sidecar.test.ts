import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, type ResourceType } from '../../xds';
import { apply, call, callJson, countRows, envoy, envoyNode, poll } from './helpers';

type Json = Record<string, any>;

/*
 * Sidecar scoping end to end: REST polls into the Worker with real D1, as Istio's proxies send them
 * (node.metadata NAMESPACE and LABELS). shop has a namespace-wide Sidecar importing its own namespace
 * and istio-system; bank has one for app=ledger only, importing bank and a single shop host under
 * REGISTRY_ONLY; pub has none. Every object carries the label below, so `prune` can take the Sidecars away.
 */

const LABEL = 'test: xds-sidecar';

const se = (name: string, ns: string, port: number, addr: string, endpointLabels = '') => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}, labels: {${LABEL}}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${port}, name: http, protocol: HTTP}]
  endpoints: [{address: ${addr}${endpointLabels}}]
`;

const SERVICES = [
  se('cart', 'shop', 8080, '10.1.0.1', ', labels: {version: v1}}, {address: 10.1.0.2, labels: {version: v2}'),
  se('catalog', 'shop', 8080, '10.1.1.1'),
  se('ledger', 'bank', 8080, '10.2.0.1'),
  se('accounts', 'bank', 8080, '10.2.1.1'),
  se('news', 'pub', 9090, '10.3.0.1'),
  se('telemetry', 'istio-system', 15014, '10.4.0.1'),
  `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cart, namespace: shop, labels: {${LABEL}}}
spec:
  host: cart.shop.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop, labels: {${LABEL}}}
spec:
  hosts: [cart.shop.svc.cluster.local]
  http:
  - route:
    - {destination: {host: cart.shop.svc.cluster.local, subset: v1}, weight: 90}
    - {destination: {host: cart.shop.svc.cluster.local, subset: v2}, weight: 10}
`,
].join('---');

const SHOP_SIDECAR = (hosts = '"./*", "istio-system/*"') => `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop, labels: {${LABEL}}}
spec:
  egress: [{hosts: [${hosts}]}]
`;

const BANK_SIDECAR = `
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: {name: ledger, namespace: bank, labels: {${LABEL}}}
spec:
  workloadSelector: {labels: {app: ledger}}
  egress: [{hosts: ["./*", "shop/cart.shop.svc.cluster.local"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;

const MANIFEST = [SERVICES, SHOP_SIDECAR(), BANK_SIDECAR].join('---');
const PRUNE = '?prune=true&labelSelector=test%3Dxds-sidecar';

const HOSTS = {
  cart: 'cart.shop.svc.cluster.local',
  catalog: 'catalog.shop.svc.cluster.local',
  ledger: 'ledger.bank.svc.cluster.local',
  accounts: 'accounts.bank.svc.cluster.local',
  news: 'news.pub.svc.cluster.local',
  telemetry: 'telemetry.istio-system.svc.cluster.local',
};
const CART = [`outbound|8080||${HOSTS.cart}`, `outbound|8080|v1|${HOSTS.cart}`, `outbound|8080|v2|${HOSTS.cart}`];
const CLUSTERS = {
  catalog: `outbound|8080||${HOSTS.catalog}`,
  ledger: `outbound|8080||${HOSTS.ledger}`,
  accounts: `outbound|8080||${HOSTS.accounts}`,
  news: `outbound|9090||${HOSTS.news}`,
  telemetry: `outbound|15014||${HOSTS.telemetry}`,
};
const ALL_CLUSTERS = [...CART, ...Object.values(CLUSTERS)].sort();
const SHOP_CLUSTERS = [...CART, CLUSTERS.catalog, CLUSTERS.telemetry].sort();
const LEDGER_CLUSTERS = [...CART, CLUSTERS.ledger, CLUSTERS.accounts].sort();

/** A node as istio-agent sends it: sidecar~IP~pod.namespace~namespace.svc.cluster.local, NAMESPACE and LABELS. */
const istioNode = (pod: string, namespace: string, labels: Record<string, string>) => ({
  id: `sidecar~10.0.0.9~${pod}.${namespace}~${namespace}.svc.cluster.local`,
  cluster: `${labels.app}.${namespace}`,
  user_agent_name: 'envoy',
  metadata: { NAMESPACE: namespace, LABELS: labels, CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.24.0' },
});
const PROXIES = {
  shop: istioNode('cart-7d9f-abcde', 'shop', { app: 'cart', version: 'v1' }),
  ledger: istioNode('ledger-5c4b-fghij', 'bank', { app: 'ledger' }),
  accounts: istioNode('accounts-6a2e-klmno', 'bank', { app: 'accounts' }),
  pub: istioNode('news-8b1c-pqrst', 'pub', { app: 'news' }),
};

interface Answer {
  version: string;
  resources: Json[];
}

/** One poll, strictly decoded: 200, the type's URL on the answer and on every resource. */
async function fetchType(type: ResourceType, node: object, names?: string[]): Promise<Answer> {
  const res = await poll(type, { node, ...(names ? { names } : {}) });
  expect(res.status, `${type} for ${JSON.stringify(node)}`).toBe(200);
  expect(res.body!.type_url).toBe(RESOURCE_TYPES[type]);
  for (const r of res.body!.resources) {
    expect(r['@type']).toBe(RESOURCE_TYPES[type]);
    envoy().decodeStrict(r); // unknown fields or wrong types throw, naming the field
  }
  return { version: res.body!.version_info, resources: res.body!.resources };
}

const hcmOf = (l: Json) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config)).filter((t: Json) => t.rds);

/** What an Envoy polling over REST holds: CDS, LDS, then RDS for every route configuration its listeners name. */
async function fetchView(node: object) {
  const clusters = await fetchType('clusters', node);
  const listeners = await fetchType('listeners', node);
  const routeNames = [...new Set(listeners.resources.flatMap((l) => hcmOf(l).map((t: Json) => t.rds.route_config_name as string)))].sort();
  const routes = routeNames.length ? await fetchType('routes', node, routeNames) : { version: '', resources: [] };
  return { clusters, listeners, routes, routeNames, clusterNames: clusters.resources.map((c) => c.name as string).sort() };
}
type FetchedView = Awaited<ReturnType<typeof fetchView>>;

const routedClusters = (routes: Json[]): string[] =>
  routes.flatMap((rc) =>
    rc.virtual_hosts.flatMap((vh: Json) =>
      vh.routes.flatMap((r: Json) => [
        ...(r.route?.cluster ? [r.route.cluster] : []),
        ...(r.route?.weighted_clusters?.clusters.map((w: Json) => w.name) ?? []),
        ...(r.route?.request_mirror_policies?.map((m: Json) => m.cluster) ?? []),
      ]),
    ),
  );

/** Consistent as Envoy needs it: every RDS name a listener references is served, every cluster a route or TCP proxy names is in CDS. */
function expectConsistent(view: FetchedView): void {
  expect(view.routes.resources.map((r) => r.name).sort()).toEqual(view.routeNames);
  const clusterSet = new Set(view.clusterNames);
  const tcp = view.listeners.resources.flatMap((l) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config.cluster).filter(Boolean)));
  for (const c of [...routedClusters(view.routes.resources), ...tcp]) expect(clusterSet, `routed cluster ${c}`).toContain(c);
  // REST views carry their endpoints inline (STATIC clusters): nothing here would need an EDS poll.
  for (const c of view.clusters.resources) expect(c.type).toBe('STATIC');
  for (const c of view.clusters.resources) expect(c.load_assignment.cluster_name).toBe(c.name);
}

/** The hosts a view's route configurations answer for (ports and Istio's `*` catch-all left out). */
const routedHosts = (view: FetchedView) =>
  [...new Set(view.routes.resources.flatMap((rc) => rc.virtual_hosts.flatMap((vh: Json) => vh.domains as string[])).filter((d) => d !== '*').map((d) => d.replace(/:\d+$/, '')))].sort();

const listenerNames = (view: FetchedView) => view.listeners.resources.map((l) => l.name as string).sort();

async function viewKeyOf(namespace: string, labels: Record<string, string>): Promise<string> {
  const q = new URLSearchParams({ namespace, labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') });
  const dump = await callJson('GET', `/api/v1/config_dump?${q}`);
  expect(dump.status).toBe(200);
  return dump.body.view;
}

async function applyManifest(manifest = MANIFEST): Promise<void> {
  const res = await apply(manifest, PRUNE);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

describe('Sidecar scoping over REST', () => {
  it('gives shop and bank proxies different, exactly scoped and consistent views', async () => {
    await applyManifest();
    const shop = await fetchView(PROXIES.shop);
    const ledger = await fetchView(PROXIES.ledger);
    for (const v of [shop, ledger]) expectConsistent(v);

    expect(await viewKeyOf('shop', { app: 'cart', version: 'v1' })).toBe('envoy|mesh|sc:shop/default');
    expect(await viewKeyOf('bank', { app: 'ledger' })).toBe('envoy|mesh|sc:bank/ledger');

    // shop: its own namespace and istio-system's, nothing of bank or pub.
    expect(shop.clusterNames).toEqual(SHOP_CLUSTERS);
    expect(listenerNames(shop)).toEqual(['0.0.0.0_15014', '0.0.0.0_8080']);
    expect(routedHosts(shop)).toEqual([HOSTS.cart, HOSTS.catalog, HOSTS.telemetry].sort());
    // bank/ledger: bank and the one shop host it imports (its subsets included, which the VirtualService routes to).
    expect(ledger.clusterNames).toEqual(LEDGER_CLUSTERS);
    expect(listenerNames(ledger)).toEqual(['0.0.0.0_8080']);
    expect(routedHosts(ledger)).toEqual([HOSTS.accounts, HOSTS.cart, HOSTS.ledger].sort());
    const cartRoute = ledger.routes.resources[0]!.virtual_hosts.find((vh: Json) => vh.domains.includes(HOSTS.cart));
    expect(cartRoute.routes[0].route.weighted_clusters.clusters.map((w: Json) => [w.name, w.weight])).toEqual([[CART[1], 90], [CART[2], 10]]);

    expect(shop.clusters.version).not.toBe(ledger.clusters.version);
    expect(shop.listeners.version).not.toBe(ledger.listeners.version);
  });

  it('makes a host outside the Sidecar unreachable: no cluster, no listener, no virtual host; REGISTRY_ONLY answers 502', async () => {
    await applyManifest();
    const shop = await fetchView(PROXIES.shop);
    const ledger = await fetchView(PROXIES.ledger);
    const outside = (view: FetchedView, hosts: string[]) => {
      for (const host of hosts) {
        expect(view.clusterNames.filter((c) => c.endsWith(`|${host}`)), host).toEqual([]);
        for (const rc of view.routes.resources) for (const vh of rc.virtual_hosts) expect(vh.domains.filter((d: string) => d.replace(/:\d+$/, '') === host), host).toEqual([]);
      }
    };
    outside(shop, [HOSTS.ledger, HOSTS.accounts, HOSTS.news]);
    outside(ledger, [HOSTS.catalog, HOSTS.news, HOSTS.telemetry]);
    // Asking for a route configuration of a port out of scope gets nothing either.
    expect((await fetchType('routes', PROXIES.ledger, ['9090', '15014'])).resources).toEqual([]);
    expect((await fetchType('routes', PROXIES.shop, ['9090'])).resources).toEqual([]);

    // REGISTRY_ONLY: the route configuration ends in Istio's block_all, a 502 for any host it lacks.
    const vhosts = ledger.routes.resources[0]!.virtual_hosts as Json[];
    expect(vhosts.at(-1)).toEqual({ name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }] });
    expect(vhosts.filter((vh) => vh.domains.includes('*'))).toHaveLength(1);
    // Without an outboundTrafficPolicy (shop) nothing catches unknown hosts: Envoy's own 404, no passthrough.
    for (const rc of shop.routes.resources) expect(rc.virtual_hosts.filter((vh: Json) => vh.domains.includes('*'))).toEqual([]);
  });

  it('leaves a namespace without a Sidecar, and a bank workload the selector misses, with the whole mesh as before', async () => {
    // Before any Sidecar: what pub's proxy gets.
    await applyManifest(SERVICES);
    const before = await fetchView(PROXIES.pub);
    expect(before.clusterNames).toEqual(ALL_CLUSTERS);

    await applyManifest();
    const pub = await fetchView(PROXIES.pub);
    const accounts = await fetchView(PROXIES.accounts);
    const anonymous = await fetchView(envoyNode('no-namespace', { app: 'ledger' }));
    for (const v of [pub, accounts, anonymous]) {
      expectConsistent(v);
      expect(v.clusterNames).toEqual(ALL_CLUSTERS);
      expect(routedHosts(v)).toEqual(Object.values(HOSTS).sort());
      // Byte for byte what it was before the Sidecars: same versions, same resources.
      for (const type of ['clusters', 'listeners', 'routes'] as const) {
        expect(v[type].version).toBe(before[type].version);
        expect(v[type].resources).toEqual(before[type].resources);
      }
    }
    expect(await viewKeyOf('pub', { app: 'news' })).toBe('envoy|mesh');
    expect(await viewKeyOf('bank', { app: 'accounts' })).toBe('envoy|mesh');
    // And it polls as such: the version it holds is current (304).
    expect((await poll('clusters', { node: PROXIES.accounts, version: before.clusters.version })).status).toBe(304);
  });

  it('falls back to the mesh default Sidecar in istio-system, its "." being the proxy\'s own namespace', async () => {
    const meshDefault = `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system, labels: {${LABEL}}}
spec:
  egress: [{hosts: ["./*"]}]
`;
    await applyManifest([MANIFEST, meshDefault].join('---'));
    const accounts = await fetchView(PROXIES.accounts);
    const pub = await fetchView(PROXIES.pub);
    const ledger = await fetchView(PROXIES.ledger);
    for (const v of [accounts, pub, ledger]) expectConsistent(v);
    expect(await viewKeyOf('bank', { app: 'accounts' })).toBe('envoy|mesh|ns:bank|sc:istio-system/default');
    expect(accounts.clusterNames).toEqual([CLUSTERS.accounts, CLUSTERS.ledger].sort());
    expect(pub.clusterNames).toEqual([CLUSTERS.news]);
    expect(listenerNames(pub)).toEqual(['0.0.0.0_9090']);
    // A selector match still wins over the mesh default.
    expect(ledger.clusterNames).toEqual(LEDGER_CLUSTERS);
    await applyManifest();
  });

  it("changes the CDS version of the changed Sidecar's proxies only", async () => {
    await applyManifest();
    const shop = await fetchView(PROXIES.shop);
    const ledger = await fetchView(PROXIES.ledger);
    const pub = await fetchView(PROXIES.pub);

    await applyManifest([SERVICES, SHOP_SIDECAR('"./*", "istio-system/*", "pub/news.pub.svc.cluster.local"'), BANK_SIDECAR].join('---'));
    const changed = await poll('clusters', { node: PROXIES.shop, version: shop.clusters.version });
    expect(changed.status).toBe(200);
    expect(changed.body!.version_info).not.toBe(shop.clusters.version);
    expect(changed.body!.resources.map((c) => c.name).sort()).toEqual([...SHOP_CLUSTERS, CLUSTERS.news].sort());
    for (const r of changed.body!.resources) envoy().decodeStrict(r);
    const shopAfter = await fetchView(PROXIES.shop);
    expectConsistent(shopAfter);
    expect(listenerNames(shopAfter)).toEqual(['0.0.0.0_15014', '0.0.0.0_8080', '0.0.0.0_9090']);
    // The other namespaces' proxies hold the current version of everything.
    for (const [node, view] of [[PROXIES.ledger, ledger], [PROXIES.pub, pub]] as const) {
      expect((await poll('clusters', { node, version: view.clusters.version })).status).toBe(304);
      expect((await poll('listeners', { node, version: view.listeners.version })).status).toBe(304);
      expect((await poll('routes', { node, version: view.routes.version, names: view.routeNames })).status).toBe(304);
    }
    await applyManifest();
  });

  it('refuses a bad Sidecar naming the field, and stores nothing', async () => {
    await applyManifest();
    const revisions = await countRows('revisions');
    const objects = await countRows('objects');
    const shopBefore = await fetchView(PROXIES.shop);

    // An egress host without its namespace part (Istio's validation refuses it too): 400, schema level.
    const noNamespace = await apply(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: extra, namespace: bank}
spec:
  hosts: [extra.bank.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.2.9.1}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: nons, namespace: bank}
spec:
  egress: [{hosts: ["cart.shop.svc.cluster.local"]}]
`);
    expect(noNamespace.status).toBe(400);
    expect(noNamespace.body.errors).toEqual([{ path: '[1].spec.egress[0].hosts[0]', message: expect.stringContaining('must be "namespace/dnsName"') }]);
    expect((await call('GET', '/api/v1/namespaces/bank/sidecars/nons')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/bank/serviceentries/extra')).status).toBe(404);

    // A second namespace-wide Sidecar in shop: the whole configuration is inconsistent, 409.
    const second = await apply(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: wide, namespace: shop}
spec:
  egress: [{hosts: ["*/*"]}]
`);
    expect(second.status).toBe(409);
    expect(second.body.errors).toEqual([{ object: 'Sidecar/shop/wide', path: 'spec.workloadSelector', message: expect.stringContaining('already has a Sidecar without workloadSelector (shop/default)') }]);
    expect((await call('GET', '/api/v1/namespaces/shop/sidecars/wide')).status).toBe(404);

    // Two at once in a namespace that had none: refused the same way, neither stored.
    const pair = await apply(['a', 'b'].map((name) => `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ${name}, namespace: pub}
spec:
  egress: [{hosts: ["./*"]}]
`).join('---'));
    expect(pair.status).toBe(409);
    expect(pair.body.errors).toEqual([{ object: 'Sidecar/pub/b', path: 'spec.workloadSelector', message: expect.stringContaining('already has a Sidecar without workloadSelector (pub/a)') }]);
    for (const name of ['a', 'b']) expect((await call('GET', `/api/v1/namespaces/pub/sidecars/${name}`)).status).toBe(404);

    expect(await countRows('revisions')).toBe(revisions);
    expect(await countRows('objects')).toBe(objects);
    const kept = await callJson('GET', '/api/v1/namespaces/shop/sidecars/default');
    expect(kept.status).toBe(200);
    expect(kept.body.spec).toEqual({ egress: [{ hosts: ['./*', 'istio-system/*'] }] });
    const listed = await callJson('GET', '/api/v1/sidecars');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toMatch(/"(nons|wide)"|pub\/a|pub\/b/);
    // The proxies' views did not move.
    expect((await poll('clusters', { node: PROXIES.shop, version: shopBefore.clusters.version })).status).toBe(304);
  });
});

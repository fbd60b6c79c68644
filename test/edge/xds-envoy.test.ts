import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, type ResourceType } from '../../xds';
import { apply, callJson, envoy, envoyNode, poll, REVIEWS } from './helpers';

type Json = Record<string, any>;
type Subscriber = 'rest' | 'ads';

/** The REST config source Envoy needs in every RDS listener it gets over REST (a REST view has no EDS cluster to need one). */
const restSource = { api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds_cluster'], refresh_delay: '1s' }, resource_api_version: 'V3' };
/** The config source of every EDS cluster and RDS listener in the ADS form of a view (x-xds-subscriber: ads, as the bridge asks). */
const adsSource = { ads: {}, resource_api_version: 'V3' };

/**
 * Polls like Envoy: CDS, EDS per EDS cluster (none in a REST view: its clusters carry their endpoints),
 * LDS, RDS per route config, each with the version it last accepted.
 */
async function playEnvoy(node: object, accepted: Map<string, string>, subscriber: Subscriber = 'rest') {
  const statuses: Record<string, number> = {};
  const got: Record<ResourceType, Json[]> = { clusters: [], endpoints: [], listeners: [], routes: [] };
  const fetch = async (type: ResourceType, names?: string[]) => {
    const key = `${type}:${names?.join(',') ?? '*'}`;
    const version = accepted.get(key);
    const res = await poll(type, { node, subscriber, ...(version ? { version } : {}), ...(names ? { names } : {}) });
    statuses[key] = res.status;
    if (res.status === 200) {
      expect(res.body!.type_url).toBe(RESOURCE_TYPES[type]);
      expect(res.body!.version_info).toMatch(/^[0-9a-f]{16}$/);
      for (const r of res.body!.resources) {
        expect(r['@type']).toBe(RESOURCE_TYPES[type]);
        envoy().decodeStrict(r); // unknown fields or wrong types throw, naming the field
      }
      if (names) {
        // EDS and RDS: exactly the names asked for, never more.
        expect(res.body!.resources.map((r) => r.cluster_name ?? r.name)).toEqual(names);
      }
      accepted.set(key, res.body!.version_info);
      got[type].push(...res.body!.resources);
    } else {
      expect(res.status).toBe(304);
      expect(res.body).toBeUndefined();
    }
  };
  await fetch('clusters');
  const clusters = current.clusters.get(node) ?? got.clusters;
  current.clusters.set(node, clusters);
  for (const c of clusters.filter((c) => c.type === 'EDS')) await fetch('endpoints', [c.eds_cluster_config?.service_name ?? c.name]);
  await fetch('listeners');
  const listeners = current.listeners.get(node) ?? got.listeners;
  current.listeners.set(node, listeners);
  const routeNames = listeners.flatMap((l) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config.rds?.route_config_name).filter(Boolean)));
  for (const name of routeNames) await fetch('routes', [name]);
  return { statuses, got, clusters, listeners, routeNames };
}
const current = { clusters: new Map<object, Json[]>(), listeners: new Map<object, Json[]>() };

const addressesOf = (assignment: Json) => assignment.endpoints.flatMap((l: Json) => l.lb_endpoints.map((e: Json) => e.endpoint.address.socket_address.address));
/** The clusters RDS routes reach (weighted or not). */
const routedClusters = (routes: Json[]) =>
  routes.flatMap((r) => r.virtual_hosts.flatMap((vh: Json) => vh.routes.flatMap((rt: Json) => rt.route.weighted_clusters?.clusters.map((w: Json) => w.name) ?? [rt.route.cluster])));
const routedWeights = (routes: Json[]) =>
  routes.flatMap((r) => r.virtual_hosts.flatMap((vh: Json) => vh.routes.flatMap((rt: Json) => rt.route.weighted_clusters?.clusters.map((w: Json) => w.weight) ?? [])));

describe('an Envoy polling over REST', () => {
  it('gets a consistent snapshot, then 304 for everything, then only RDS after a weight change', async () => {
    expect((await apply(REVIEWS([80, 20], 'envoy'))).status).toBe(201);
    const labels = { app: 'productpage' };
    const node = envoyNode('sidecar-envoy-test', labels);
    // The same view in its ADS form (the bridge's): EDS clusters, each with its ClusterLoadAssignment.
    const adsNode = envoyNode('sidecar-envoy-test-ads', labels);
    const accepted = new Map<string, string>();
    const adsAccepted = new Map<string, string>();
    const reviews = ['outbound|9080||reviews.envoy.svc.cluster.local', 'outbound|9080|v1|reviews.envoy.svc.cluster.local', 'outbound|9080|v2|reviews.envoy.svc.cluster.local'];

    const first = await playEnvoy(node, accepted);
    expect(Object.values(first.statuses).every((s) => s === 200)).toBe(true);
    // Over REST nothing is EDS: CDS, LDS and one RDS poll per route config, nothing else.
    expect(Object.keys(first.statuses)).toEqual(['clusters:*', 'listeners:*', ...first.routeNames.map((n) => `routes:${n}`)]);
    expect(first.clusters.filter((c) => c.type === 'EDS' || c.eds_cluster_config)).toEqual([]);
    // Consistent: every STATIC service's cluster carries its endpoints, every RDS name its config, every routed cluster exists.
    const clusterNames = new Set(first.clusters.map((c) => c.name));
    for (const name of reviews) {
      expect(clusterNames).toContain(name);
      const c = first.clusters.find((x) => x.name === name)!;
      expect(c.type).toBe('STATIC');
      expect(c.load_assignment.cluster_name).toBe(name);
    }
    expect(first.got.routes.map((r) => r.name)).toEqual(first.routeNames);
    for (const l of first.listeners) for (const fc of l.filter_chains) for (const f of fc.filters) if (f.typed_config.rds) expect(f.typed_config.rds.config_source).toEqual(restSource);
    for (const c of routedClusters(first.got.routes)) expect(clusterNames).toContain(c);
    expect(addressesOf(first.clusters.find((c) => c.name === reviews[1])!.load_assignment)).toEqual(['10.0.0.1']);
    expect(addressesOf(first.clusters.find((c) => c.name === reviews[2])!.load_assignment)).toEqual(['10.0.0.2']);

    const firstAds = await playEnvoy(adsNode, adsAccepted, 'ads');
    expect(Object.values(firstAds.statuses).every((s) => s === 200)).toBe(true);
    // The ADS form: the same clusters, each STATIC service's as EDS, with an assignment for every one of them.
    expect(firstAds.clusters.map((c) => c.name).sort()).toEqual([...clusterNames].sort());
    const eds = firstAds.clusters.filter((c) => c.type === 'EDS');
    expect(eds.map((c) => c.name).sort()).toEqual(first.clusters.filter((c) => c.type === 'STATIC').map((c) => c.name).sort());
    expect(firstAds.got.endpoints.map((e) => e.cluster_name).sort()).toEqual(eds.map((c) => c.eds_cluster_config?.service_name ?? c.name).sort());
    for (const c of eds) {
      expect(c.load_assignment).toBeUndefined();
      expect(c.eds_cluster_config.eds_config).toEqual(adsSource);
      // Its assignment over EDS is exactly what the REST view inlines.
      const { '@type': _, ...assignment } = firstAds.got.endpoints.find((e) => e.cluster_name === (c.eds_cluster_config.service_name ?? c.name))!;
      expect(assignment).toEqual(first.clusters.find((x) => x.name === c.name)!.load_assignment);
    }
    expect(firstAds.got.routes).toEqual(first.got.routes);
    for (const l of firstAds.listeners) for (const fc of l.filter_chains) for (const f of fc.filters) if (f.typed_config.rds) expect(f.typed_config.rds.config_source).toEqual(adsSource);
    expect(addressesOf(firstAds.got.endpoints.find((e) => e.cluster_name === reviews[1])!)).toEqual(['10.0.0.1']);

    const second = await playEnvoy(node, accepted);
    expect(second.statuses).toEqual(Object.fromEntries(Object.keys(first.statuses).map((k) => [k, 304])));
    const secondAds = await playEnvoy(adsNode, adsAccepted, 'ads');
    expect(secondAds.statuses).toEqual(Object.fromEntries(Object.keys(firstAds.statuses).map((k) => [k, 304])));
    expect(Object.keys(secondAds.statuses).filter((k) => k.startsWith('endpoints:')).length).toBe(eds.length);

    const host = 'reviews.envoy.svc.cluster.local';
    const patched = await callJson('PATCH', '/api/v1/namespaces/envoy/virtualservices/reviews', {
      body: { spec: { http: [{ route: [{ destination: { host, subset: 'v1' }, weight: 50 }, { destination: { host, subset: 'v2' }, weight: 50 }] }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.status).toBe(200);
    // Only RDS changes, over REST (clusters, endpoints inline, are as they were) and over ADS (EDS too).
    const third = await playEnvoy(node, accepted);
    expect(Object.entries(third.statuses).filter(([, s]) => s === 200).map(([k]) => k)).toEqual(first.routeNames.map((n) => `routes:${n}`));
    expect(routedWeights(third.got.routes)).toEqual([50, 50]);
    const thirdAds = await playEnvoy(adsNode, adsAccepted, 'ads');
    expect(Object.entries(thirdAds.statuses).filter(([, s]) => s === 200).map(([k]) => k)).toEqual(firstAds.routeNames.map((n) => `routes:${n}`));
    expect(routedWeights(thirdAds.got.routes)).toEqual([50, 50]);
  });

  it('answers 200 to an empty or unknown version, never 304', async () => {
    await apply(REVIEWS([80, 20], 'fresh'));
    expect((await poll('clusters')).status).toBe(200);
    expect((await poll('clusters', { version: 'not-a-version-we-served' })).status).toBe(200);
    const { body } = await poll('clusters');
    expect((await poll('clusters', { version: body!.version_info })).status).toBe(304);
  });

  it('EDS and RDS answer exactly the names asked for: none for an unknown name', async () => {
    await apply(REVIEWS([80, 20], 'names'));
    const v1 = 'outbound|9080|v1|reviews.names.svc.cluster.local';
    // Nothing is EDS in a REST view (v1's endpoints are inline in its cluster): an EDS poll over REST gets none, even for a cluster that exists.
    const clusters = await poll('clusters');
    expect(clusters.body!.resources.find((c) => c.name === v1)).toMatchObject({ type: 'STATIC', load_assignment: { cluster_name: v1 } });
    const rest = await poll('endpoints', { names: [v1, 'no-such-cluster'] });
    expect(rest.status).toBe(200);
    expect(rest.body!.type_url).toBe(RESOURCE_TYPES.endpoints);
    expect(rest.body!.resources).toEqual([]);
    // In the ADS form of the same view, EDS answers exactly the names asked for that exist.
    const ads = await poll('endpoints', { names: [v1, 'no-such-cluster'], subscriber: 'ads' });
    expect(ads.status).toBe(200);
    expect(ads.body!.resources.map((r) => r.cluster_name)).toEqual([v1]);
    for (const r of ads.body!.resources) envoy().decodeStrict(r);
    const { '@type': _, ...assignment } = ads.body!.resources[0]!;
    expect(assignment).toEqual(clusters.body!.resources.find((c) => c.name === v1)!.load_assignment);
    const none = await poll('routes', { names: ['no-such-route'] });
    expect(none.status).toBe(200);
    expect(none.body!.resources).toEqual([]);
  });

  it('accepts camelCase bodies, and names config sources after the Host header', async () => {
    await apply(REVIEWS([80, 20], 'camel'));
    const res = await poll('clusters', { host: 'xds.example.com' });
    // A REST view's clusters need no config source (endpoints inline); its listeners' RDS does, named after the Host.
    expect(res.body!.resources.filter((c) => c.type === 'EDS' || c.eds_cluster_config)).toEqual([]);
    expect(res.body!.resources.find((c) => c.name === 'outbound|9080|v1|reviews.camel.svc.cluster.local')).toMatchObject({ type: 'STATIC' });
    const lds = await poll('listeners', { host: 'xds.example.com' });
    const rds = lds.body!.resources.flatMap((l) => l.filter_chains.flatMap((fc: Json) => fc.filters.map((f: Json) => f.typed_config.rds).filter(Boolean)));
    expect(rds.length).toBeGreaterThan(0);
    for (const r of rds) expect(r.config_source.api_config_source.cluster_names).toEqual(['xds.example.com']);
    const camel = await fetchRaw('/v3/discovery:clusters', { versionInfo: res.body!.version_info, node: { id: 'camel', userAgentName: 'envoy' }, typeUrl: RESOURCE_TYPES.clusters }, 'xds.example.com');
    expect(camel.status).toBe(304);
  });

  it('gives proxyless gRPC clients API listeners named host:port, and Gateways their own listeners', async () => {
    await apply(REVIEWS([80, 20], 'views'));
    const grpc = await poll('listeners', { node: { id: 'grpc-client', user_agent_name: 'gRPC Node Pure JS' } });
    expect(grpc.body!.resources.map((l) => l.name)).toContain('reviews.views.svc.cluster.local:9080');
    for (const l of grpc.body!.resources) envoy().decodeStrict(l);

    await apply(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: views}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*/reviews.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: views}
spec:
  hosts: [reviews.example.com]
  gateways: [ingress]
  http: [{route: [{destination: {host: reviews.views.svc.cluster.local, subset: v2}}]}]
`);
    const gatewayNode = envoyNode('ingress-1', { istio: 'ingressgateway' });
    const lds = await poll('listeners', { node: gatewayNode });
    expect(lds.body!.resources.map((l) => l.name)).toEqual(['0.0.0.0_8080']);
    const rds = await poll('routes', { node: gatewayNode, names: ['http.8080'] });
    expect(rds.body!.resources[0]!.virtual_hosts.map((vh: Json) => vh.domains)).toEqual([['reviews.example.com', 'reviews.example.com:8080']]);
    envoy().decodeStrict(rds.body!.resources[0]!);
    // A sidecar (no matching labels) gets the mesh listeners, not the gateway's.
    expect((await poll('listeners')).body!.resources.map((l) => l.name)).toEqual(['0.0.0.0_9080']);
  });

  it('refuses what is not an xDS request', async () => {
    // SDS is served (api-secrets.test.ts), but never anonymously, even where anonymous xDS reads are allowed.
    expect((await fetchRaw('/v3/discovery:secrets', {})).status).toBe(401);
    expect((await fetchRaw('/v3/discovery:nonsense', {})).status).toBe(404);
    const bad = await fetchRaw('/v3/discovery:clusters', '{"node":');
    expect(bad.status).toBe(400);
    expect((await bad.json<Json>()).errors[0]).toMatchObject({ path: '' });
    const wrongNames = await fetchRaw('/v3/discovery:routes', { resource_names: 'a' });
    expect((await wrongNames.json<Json>()).errors).toEqual([{ path: 'resource_names', message: 'expected an array of strings' }]);
    const get = await SELF_fetch('/v3/discovery:clusters', { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

import { SELF } from 'cloudflare:test';
const SELF_fetch = (path: string, init: RequestInit) => SELF.fetch(`http://edge.test${path}`, init);
function fetchRaw(path: string, body: unknown, host = 'xds_cluster') {
  return SELF_fetch(path, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('config_dump', () => {
  it('shows what a node that polled receives, and what a hypothetical one would', async () => {
    await apply(REVIEWS([80, 20], 'dump'));
    const dump = await callJson('GET', '/api/v1/config_dump?labels=app%3Dweb&client=grpc');
    expect(dump.status).toBe(200);
    expect(dump.body.view).toBe('grpc|mesh');
    expect(dump.body.configs.listeners.resources.map((l: Json) => l.name)).toContain('reviews.dump.svc.cluster.local:9080');
    const ads = await callJson('GET', '/api/v1/config_dump?mode=ads');
    const eds = ads.body.configs.clusters.resources.find((c: Json) => c.type === 'EDS');
    expect(eds.eds_cluster_config.eds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect((await callJson('GET', '/api/v1/config_dump?node=never-polled')).status).toBe(404);
    expect((await callJson('GET', '/api/v1/config_dump?labels=app+in+(a)')).body.errors[0].path).toBe('labels');
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { apply, callJson, envoy, poll } from './helpers';

type Json = Record<string, any>;

// billing is exported only to its own namespace; echo fails over from r1 to r2 (outlier detection on).
const MANIFEST = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: billing, namespace: dims}
spec:
  hosts: [billing.dims.svc.cluster.local]
  exportTo: ["."]
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.9.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: dims}
spec:
  hosts: [echo.dims.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints: [{address: 10.9.1.1, locality: r1/z1}, {address: 10.9.2.1, locality: r2/z1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: dims}
spec:
  host: echo.dims.svc.cluster.local
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1}
    loadBalancer: {localityLbSetting: {failover: [{from: r1, to: r2}]}}
`;

const ECHO = 'outbound|7070||echo.dims.svc.cluster.local';
const node = (id: string, metadata: Json, locality?: Json) => ({ id, cluster: 'test', user_agent_name: 'envoy', metadata, ...(locality ? { locality } : {}) });
const clusterNames = async (n: Json) => (await poll('clusters', { node: n })).body!.resources.map((c) => c.name as string);

/**
 * Priority of each locality's region in echo's load assignment as the node gets it over REST: inline in
 * echo's cluster in the CDS answer (a REST view has no EDS), with nothing left for an EDS poll.
 */
async function priorities(n: Json): Promise<Record<string, number>> {
  const res = await poll('clusters', { node: n });
  for (const r of res.body!.resources) envoy().decodeStrict(r);
  const echo = res.body!.resources.find((c) => c.name === ECHO)!;
  expect(echo.type).toBe('STATIC');
  expect(echo.eds_cluster_config).toBeUndefined();
  expect(echo.load_assignment.cluster_name).toBe(ECHO);
  expect((await poll('endpoints', { node: n, names: [ECHO] })).body!.resources).toEqual([]);
  return Object.fromEntries(echo.load_assignment.endpoints.map((l: Json) => [l.locality.region, l.priority ?? 0]));
}

describe('views by namespace and locality over REST', () => {
  beforeEach(async () => {
    expect((await apply(MANIFEST)).status).toBeLessThan(300);
  });

  it('shows an object exported with "." only to proxies of its namespace (NAMESPACE or namespace metadata)', async () => {
    const billing = 'outbound|8080||billing.dims.svc.cluster.local';
    expect(await clusterNames(node('istio', { NAMESPACE: 'dims' }))).toContain(billing);
    expect(await clusterNames(node('plain', { namespace: 'dims' }))).toContain(billing);
    expect(await clusterNames(node('elsewhere', { namespace: 'other' }))).not.toContain(billing);
    expect(await clusterNames(node('nowhere', {}))).not.toContain(billing);
    expect(await clusterNames(node('nowhere', {}))).toContain(ECHO);
  });

  it('gives each proxy priorities relative to its own locality', async () => {
    expect(await priorities(node('in-r1', {}, { region: 'r1', zone: 'z1', sub_zone: 's9' }))).toEqual({ r1: 0, r2: 1 });
    expect(await priorities(node('in-r2', {}, { region: 'r2', zone: 'z1' }))).toEqual({ r1: 1, r2: 0 });
    expect(await priorities(node('no-locality', {}))).toEqual({ r1: 0, r2: 0 });
  });

  it('agrees in config_dump and the bridge endpoint on the view key', async () => {
    const dump = await callJson('GET', '/api/v1/config_dump?namespace=dims&locality=r2/z1/s1');
    expect(dump.status).toBe(200);
    expect(dump.body.view).toBe('envoy|mesh|ns:dims|loc:r2/z1');
    const res = await callJson('POST', '/api/v1/snapshots', {
      body: { nodes: [{ user_agent_name: 'gRPC', namespace: 'dims', locality: { region: 'r1', zone: 'z1' } }, { user_agent_name: 'envoy', namespace: 'other' }] },
      contentType: 'application/json',
    });
    expect(res.status).toBe(200);
    expect(res.body.views).toEqual(['grpc|mesh|ns:dims|loc:r1/z1', 'envoy|mesh']);
    const bad = await callJson('POST', '/api/v1/snapshots', { body: { nodes: [{ locality: { region: 'r1', city: 'x' } }] }, contentType: 'application/json' });
    expect(bad.status).toBe(400);
  });
});

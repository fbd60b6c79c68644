import { describe, expect, it } from 'vitest';
import { apply, callJson, countRows, poll } from './helpers';

const NS = 'envoyfilters';
const HOST = `details.${NS}.svc.cluster.local`;
const CLUSTER = `outbound|9090||${HOST}`;
const service = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: 'details', namespace: NS },
  spec: { hosts: [HOST], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9090, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.8.0.1' }] },
};
const envoyFilter = (name: string, value: Record<string, unknown>, applyTo = 'CLUSTER') => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name, namespace: NS },
  spec: { configPatches: [{ applyTo, match: { context: 'SIDECAR_OUTBOUND', cluster: { name: CLUSTER } }, patch: { operation: 'MERGE', value } }] },
});
const put = (body: object, name: string) => callJson('PUT', `/api/v1/namespaces/${NS}/envoyfilters/${name}`, { body });
const cluster = async () => (await poll('clusters')).body!.resources.find((c) => c.name === CLUSTER);

describe('EnvoyFilter through the API', () => {
  it('stores an EnvoyFilter whose MERGE shows in the clusters Envoy polls, and lists it', async () => {
    expect((await apply([service])).status).toBe(201);
    const value = { connect_timeout: '3s', circuit_breakers: { thresholds: [{ priority: 'HIGH', max_connections: 7 }] } };
    const res = await put(envoyFilter('tune', value), 'tune');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ kind: 'EnvoyFilter', metadata: { name: 'tune', namespace: NS, generation: 1 } });
    expect(await cluster()).toMatchObject(value);
    const list = await callJson('GET', `/api/v1/namespaces/${NS}/envoyfilters`);
    expect(list.body.items.map((o: any) => o.metadata.name)).toEqual(['tune']);
  });

  it('refuses a patch whose result breaks a rule of Envoy’s protos with 422, naming the patch and the field; nothing stored', async () => {
    const revisions = await countRows('revisions');
    const res = await put(envoyFilter('zero-timeout', { connect_timeout: '0s' }), 'zero-timeout');
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors).toContainEqual({
      path: `clusters[${JSON.stringify(CLUSTER)}].connect_timeout`,
      message: expect.any(String),
      rule: 'duration.gt = 0s',
      object: `EnvoyFilter/${NS}/zero-timeout`,
      objectPath: 'spec.configPatches[0]',
    });
    expect(await countRows('revisions')).toBe(revisions);
    expect((await cluster())!.connect_timeout).toBe('3s');
  });

  it('refuses a value that is not its target’s proto3 JSON, even when it matches nothing', async () => {
    const bad = envoyFilter('typo', { conect_timeout: '1s' });
    bad.spec.configPatches[0]!.match.cluster.name = 'outbound|1||nowhere';
    const res = await put(bad, 'typo');
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ path: 'spec.configPatches[0].patch.value', rule: 'proto3_json', object: `EnvoyFilter/${NS}/typo`, message: expect.stringContaining('conect_timeout') }),
    ]);
  });

  it('refuses what is not supported yet with 400 naming the field', async () => {
    const res = await put(envoyFilter('filter-chain', {}, 'FILTER_CHAIN'), 'filter-chain');
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'spec.configPatches[0].applyTo', message: expect.stringMatching(/^applyTo FILTER_CHAIN is not supported yet/) });
  });

  it('matches a cluster by service and port as Istio reads the cluster name, and accepts SIDECAR_INBOUND with a warning that it reaches nothing', async () => {
    const body = {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name: 'by-service', namespace: NS },
      spec: { configPatches: [
        { applyTo: 'CLUSTER', match: { cluster: { service: HOST, portNumber: 9090 } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 4096 } } },
        { applyTo: 'HTTP_ROUTE', match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|9090', route: { action: 'ANY' } } } }, patch: { operation: 'MERGE', value: { route: { timeout: '1s' } } } },
      ] },
    };
    const res = await apply([body]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.warnings).toContainEqual({ object: `EnvoyFilter/${NS}/by-service`, path: 'spec.configPatches[1].match.context', message: expect.stringMatching(/^SIDECAR_INBOUND reaches nothing here: this control plane renders no inbound/) });
    expect(await cluster()).toMatchObject({ per_connection_buffer_limit_bytes: 4096 });
  });

  it('refuses BOOTSTRAP with 400 naming the field and why it cannot be delivered over xDS; nothing stored', async () => {
    const revisions = await countRows('revisions');
    const res = await put(envoyFilter('bootstrap', {}, 'BOOTSTRAP'), 'bootstrap');
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'spec.configPatches[0].applyTo', message: expect.stringMatching(/^applyTo BOOTSTRAP is refused: .*not an xDS resource/) });
    expect(await countRows('revisions')).toBe(revisions);
  });
});

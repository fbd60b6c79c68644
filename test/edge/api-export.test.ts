import { describe, expect, it } from 'vitest';
import { checkConsistency, fileNameOf, RESOURCE_TYPES, SECRET_TYPE_URL, type RenderedView, type ResourceType } from '../../xds';
import { apply, callJson, envoy, REVIEWS } from './helpers';
import { MUTUAL_DR, SECRET_YAML } from './tls-manifests';

const DIR = '/var/lib/envoy/xds';
/** The reviews mesh plus an external host reached with mutual TLS from a stored Secret (so the view needs SDS). */
async function setup(ns: string) {
  expect((await apply(REVIEWS([80, 20], ns))).status).toBe(201);
  expect((await callJson('PUT', `/api/v1/namespaces/${ns}/secrets/${ns}-client`, { body: SECRET_YAML(`${ns}-client`, ns) })).status).toBe(201);
  const applied = await apply(MUTUAL_DR(`${ns}-client`, ns));
  expect(applied.status, JSON.stringify(applied.body)).toBe(201);
}

const TYPE_OF_URL = Object.fromEntries(Object.entries({ ...RESOURCE_TYPES, secrets: SECRET_TYPE_URL }).map(([t, url]) => [url, t]));

/** Every `path_config_source` in a resource. */
function fileSources(json: unknown, out: { path: string; watched_directory?: unknown }[] = []) {
  if (Array.isArray(json)) json.forEach((v) => fileSources(v, out));
  else if (json && typeof json === 'object') {
    const o = json as Record<string, any>;
    if (o.path_config_source) out.push(o.path_config_source);
    Object.values(o).forEach((v) => fileSources(v, out));
  }
  return out;
}

describe('GET /api/v1/export', () => {
  it("writes a node's view as DiscoveryResponse files, in an order that never leaves a reference dangling, each decoding strictly and consistent as a whole", async () => {
    await setup('exp');
    const res = await callJson('GET', `/api/v1/export?node=sidecar-1&label=app=productpage&dir=${DIR}/`);
    expect(res.status).toBe(200);
    const { files } = res.body as { files: { name: string; content: { version_info: string; type_url: string; resources: Record<string, any>[] } }[] };
    expect(res.body).toMatchObject({ revision: expect.any(Number), dir: DIR, view: 'envoy|mesh', warnings: [] });

    // Portable names, one directory level, and cluster names' `|` spelled `__`.
    for (const f of files) expect(f.name).toMatch(/^((eds|rds|sds)\/[A-Za-z0-9._-]+\.json|cds\.json|lds\.json)$/);
    expect(files.map((f) => f.name)).toContain('eds/outbound__9080__v1__reviews.exp.svc.cluster.local.json');

    // Secrets, then endpoints, clusters, routes, listeners: children before what references them.
    const order = files.map((f) => TYPE_OF_URL[f.content.type_url]);
    expect(order.filter((t, i) => t !== order[i - 1])).toEqual(['secrets', 'endpoints', 'clusters', 'routes', 'listeners']);

    const written = new Set(files.map((f) => `${DIR}/${f.name}`));
    const types = {} as RenderedView['types'];
    for (const f of files) {
      expect(f.content.version_info).toMatch(/^[0-9a-f]+$/);
      for (const r of f.content.resources) {
        expect(r['@type']).toBe(f.content.type_url);
        expect(() => envoy().decodeStrict(r)).not.toThrow();
        // Every file another resource names exists, and only its own renames reload it (a watched
        // directory would reload every file in it whenever any one is renamed).
        for (const s of fileSources(r)) {
          expect(written).toContain(s.path);
          expect(s.watched_directory).toBeUndefined();
        }
      }
      const type = TYPE_OF_URL[f.content.type_url] as ResourceType | 'secrets';
      if (type === 'secrets') continue;
      // EDS and RDS: exactly one resource per file (Envoy rejects more), named after it.
      if (type === 'endpoints' || type === 'routes') {
        expect(f.content.resources).toHaveLength(1);
        const name = type === 'endpoints' ? f.content.resources[0]!.cluster_name : f.content.resources[0]!.name;
        expect(f.name).toBe(`${type === 'endpoints' ? 'eds' : 'rds'}/${fileNameOf(name)}`);
      }
      types[type] ??= { version: '', resources: new Map() };
      for (const r of f.content.resources) {
        const name = type === 'endpoints' ? r.cluster_name : r.name;
        types[type].resources.set(name, { name, json: r, hash: '' });
      }
    }
    expect(checkConsistency({ view: 'envoy|mesh', types })).toEqual([]);
    // The clusters read EDS from files, not from a server.
    const cds = files.find((f) => f.name === 'cds.json')!.content.resources.filter((c) => c.type === 'EDS');
    expect(cds.length).toBeGreaterThan(0);
    for (const c of cds) expect(c.eds_cluster_config.eds_config).toEqual({ path_config_source: { path: `${DIR}/eds/${fileNameOf(c.name)}` }, resource_api_version: 'V3' });
    // The Secret the mutual-TLS cluster needs is exported to the admin (scope secrets:read).
    expect(files.filter((f) => f.name.startsWith('sds/')).map((f) => f.content.resources[0]!.name).sort()).toEqual(['kubernetes://exp-client', 'kubernetes://exp-client-cacert']);
  });

  it('leaves Secrets out for a caller without secrets:read, and says which', async () => {
    await setup('exp2');
    const token = (await callJson('POST', '/api/v1/tokens', { body: { name: 'exporter', scopes: ['config:read'] } })).body.token;
    const res = await callJson('GET', `/api/v1/export?node=sidecar-1&dir=${DIR}`, { token });
    expect(res.status).toBe(200);
    expect(res.body.files.some((f: { name: string }) => f.name.startsWith('sds/'))).toBe(false);
    expect(res.body.warnings).toEqual([expect.stringMatching(/kubernetes:\/\/exp2-client.*secrets:read/)]);
    expect(res.headers.get('warning')).toMatch(/secrets:read/);
    expect(JSON.stringify(res.body)).not.toContain('PRIVATE KEY');
  });

  it('refuses bad parameters with a 400 naming each one', async () => {
    for (const [query, path] of [
      ['node=a', 'dir'],
      [`dir=${DIR}`, 'node'],
      ['node=a&dir=relative', 'dir'],
      ['node=a&dir=/', 'dir'],
      [`node=a&dir=${DIR}&mode=file`, 'mode'],
      [`node=a&dir=${DIR}&label=x`, 'label[0]'],
    ]) {
      const res = await callJson('GET', `/api/v1/export?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path), query).toEqual([path]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { apply, callJson, countRows } from './helpers';

// An empty regex passes the intent schema (it compiles) but renders RegexMatcher.regex = "", which
// Envoy's protos forbid (string.min_len = 1): Envoy would NACK the whole RDS response.
const NS = 'preflight';
const HOST = `ratings.${NS}.svc.cluster.local`;
const service = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: 'ratings', namespace: NS },
  spec: { hosts: [HOST], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 7777, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.9.0.1' }] },
};
const routeWith = (regex: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'ratings', namespace: NS },
  spec: { hosts: [HOST], http: [{ route: [{ destination: { host: HOST } }] }, { match: [{ uri: { regex } }], route: [{ destination: { host: HOST } }] }] },
});

const meshError = {
  path: 'routes["7777"].virtual_hosts[0].routes[1].match.safe_regex.regex',
  message: 'must be at least 1 character',
  rule: 'string.min_len = 1',
  object: `VirtualService/${NS}/ratings`,
  objectPath: 'spec.http[1]',
};

async function unchanged<T>(send: () => Promise<T>): Promise<T> {
  const revisions = await countRows('revisions');
  const objects = await countRows('objects');
  const res = await send();
  expect(await countRows('revisions')).toBe(revisions);
  expect(await countRows('objects')).toBe(objects);
  return res;
}

describe('pre-flight: rendered resources are checked against the rules of Envoy’s protos', () => {
  it('refuses a write whose rendered config Envoy would reject: 422, the resource field and the intent, nothing stored', async () => {
    const res = await unchanged(() => apply([service, routeWith('')]));
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 422, title: 'Unprocessable Content', detail: expect.stringMatching(/validation rules? of Envoy's protos.*nothing was stored$/) });
    expect(res.body.errors).toContainEqual(meshError);
    // The gRPC view renders the same rule into its own route configuration.
    expect(res.body.errors).toContainEqual({ ...meshError, path: `routes["${HOST}:7777"].virtual_hosts[0].routes[1].match.safe_regex.regex` });
    expect((await callJson('GET', `/api/v1/namespaces/${NS}/serviceentries/ratings`)).status).toBe(404);
  });

  it('refuses the same through PUT of one object, leaving the stored one as it was', async () => {
    expect((await apply([service, routeWith('^/v[0-9]+/')])).status).toBe(201);
    const res = await unchanged(() => callJson('PUT', `/api/v1/namespaces/${NS}/virtualservices/ratings`, { body: routeWith('') }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(meshError);
    const stored = await callJson('GET', `/api/v1/namespaces/${NS}/virtualservices/ratings`);
    expect(stored.body.spec.http[1].match[0].uri).toEqual({ regex: '^/v[0-9]+/' });
  });

  it('dryRun lists the violations in the body with the rendered resources, and stores nothing', async () => {
    const res = await unchanged(() => apply([service, routeWith('')], '?dryRun=true'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, committed: false, revision: null });
    expect(res.body.errors).toContainEqual(meshError);
    expect(res.body.rendered['envoy|mesh'].routes.find((r: any) => r.name === '7777').virtual_hosts[0].routes[1].match).toEqual({ safe_regex: { regex: '' } });
    const clean = await apply([service, routeWith('^/v[0-9]+/')], '?dryRun=true');
    expect(clean.body.errors).toEqual([]);
  });
});

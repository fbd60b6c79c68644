import { describe, expect, it } from 'vitest';
import { apply, callJson, countRows } from './helpers';
import { SECRET_YAML } from './tls-manifests';

type Answer = { status: number; body: any; headers: Headers };

/** The oracle of issue 13: no 5xx, problem+json naming the field, nothing stored. */
async function refused(send: () => Promise<Answer>, status: number, path: string | RegExp) {
  const before = [await countRows('revisions'), await countRows('objects'), await countRows('object_history')];
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContainEqual(path instanceof RegExp ? expect.stringMatching(path) : path);
  expect([await countRows('revisions'), await countRows('objects'), await countRows('object_history')]).toEqual(before);
  return res.body;
}

const NS = 'hostile';
const SE = (name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: NS, ...metadata },
  spec: { hosts: [`${name}.${NS}.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1' }] },
});
const sePath = (name: string) => `/api/v1/namespaces/${NS}/serviceentries/${name}`;
const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
const applyJson = (text: string) => callJson('POST', '/api/v1/apply', { body: text, contentType: 'application/json' });
const jsonPatch = (ops: unknown) => ({ body: JSON.stringify(ops), contentType: 'application/json-patch+json' });

describe('hostile input is a 4xx naming the field, never a 500', () => {
  it('JSON patches that move a value into its own child, or go through __proto__ or constructor/prototype', async () => {
    expect((await callJson('PUT', sePath('patched'), { body: SE('patched', { labels: { app: 'a' } }) })).status).toBe(201);
    await refused(() => callJson('PATCH', sePath('patched'), jsonPatch([{ op: 'move', from: '/spec', path: '/spec/endpoints/0/x' }])), 400, '[0].path');
    await refused(() => callJson('PATCH', sePath('patched'), jsonPatch([{ op: 'test', path: '/kind', value: 'ServiceEntry' }, { op: 'add', path: '/metadata/__proto__/x', value: 1 }])), 400, '[1].path');
    await refused(() => callJson('PATCH', sePath('patched'), jsonPatch([{ op: 'copy', from: '/metadata/labels/constructor/prototype', path: '/metadata/labels/x' }])), 400, '[0].from');
    await refused(() => callJson('PATCH', sePath('patched'), jsonPatch([{ op: 'add', path: '/spec/hosts/0/x', value: 1 }])), 400, '[0].path');
  });

  it('values nested past 100 levels: in an object, an EnvoyFilter patch value, a merge patch, a JSON patch', async () => {
    const deep = nested(5_000);
    await refused(() => callJson('PUT', sePath('deep'), { body: `{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"deep","namespace":"${NS}"},"spec":${nested(100_000)}}`, contentType: 'application/json' }), 400, /^spec(\.a){99}$/);
    const filter = `{"apiVersion":"networking.istio.io/v1alpha3","kind":"EnvoyFilter","metadata":{"name":"deep","namespace":"${NS}"},"spec":{"configPatches":[{"applyTo":"CLUSTER","patch":{"operation":"MERGE","value":${deep}}}]}}`;
    const body = await refused(() => callJson('PUT', `/api/v1/namespaces/${NS}/envoyfilters/deep`, { body: filter, contentType: 'application/json' }), 400, /^spec\.configPatches\[0\]\.patch\.value(\.a)+$/);
    expect(body.errors[0].message).toBe('nested more than 100 levels deep (objects and arrays); the limit is 100');
    await refused(() => applyJson(`[${filter}]`), 400, /^\[0\]\.spec\.configPatches\[0\]\.patch\.value(\.a)+$/);
    expect((await callJson('PUT', sePath('deep'), { body: SE('deep') })).status).toBe(201);
    await refused(() => callJson('PATCH', sePath('deep'), { body: `{"metadata":{"annotations":${deep}}}`, contentType: 'application/merge-patch+json' }), 400, /^metadata\.annotations(\.a)+$/);
    await refused(() => callJson('PATCH', sePath('deep'), { body: `[{"op":"add","path":"/metadata/x","value":${deep}}]`, contentType: 'application/json-patch+json' }), 400, /^\[0\]\.value(\.a)+$/);
    // Each part within the limit, the result past it: the patched object is checked too.
    await refused(() => callJson('PATCH', sePath('deep'), { body: `[{"op":"add","path":"/spec/endpoints/0/x","value":${nested(97)}}]`, contentType: 'application/json-patch+json' }), 400, /^spec\.endpoints\[0\]\.x(\.a)+$/);
  });

  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty'])('takes %s as a label and annotation key, dry run and real write alike', async (key) => {
    const name = key.toLowerCase();
    const object = SE(name, { labels: { [key]: 'x' }, annotations: { [key]: 'y' } });
    expect((await callJson('PUT', `${sePath(name)}?dryRun=true`, { body: object })).status).toBe(200);
    expect((await callJson('PUT', sePath(name), { body: object })).status).toBe(201);
    expect((await callJson('PATCH', sePath(name), { body: { metadata: { labels: { [key]: 'z' } } }, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expect((await callJson('PATCH', sePath(name), jsonPatch([{ op: 'remove', path: `/metadata/annotations/${key}` }]))).status).toBe(200);
    expect((await apply([SE(name, { labels: { [key]: 'w' } })])).status).toBe(201);
    const got = await callJson('GET', sePath(name));
    expect(got.body.metadata.labels).toEqual({ [key]: 'w' });
    expect(Object.getPrototypeOf(got.body.metadata.labels)).toBe(Object.prototype);
  });

  it('refuses __proto__ as a label key, an annotation key and a key inside a spec', async () => {
    const raw = (metadata: string, endpoint = '{"address":"10.0.0.1"}') =>
      `{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"proto","namespace":"${NS}"${metadata}},"spec":{"hosts":["proto.${NS}.svc.cluster.local"],"location":"MESH_INTERNAL","resolution":"STATIC","ports":[{"number":80,"name":"http","protocol":"HTTP"}],"endpoints":[${endpoint}]}}`;
    await refused(() => callJson('PUT', sePath('proto'), { body: raw(',"labels":{"__proto__":"x"}'), contentType: 'application/json' }), 400, 'metadata.labels.__proto__');
    await refused(() => callJson('PUT', sePath('proto'), { body: raw(',"annotations":{"__proto__":"x"}'), contentType: 'application/json' }), 400, 'metadata.annotations.__proto__');
    await refused(() => callJson('PUT', sePath('proto'), { body: raw('', '{"address":"10.0.0.1","ports":{"__proto__":8080}}'), contentType: 'application/json' }), 400, 'spec.endpoints[0].ports.__proto__');
    await refused(() => applyJson(`[${raw(',"labels":{"__proto__":{"app":"x"}}')}]`), 400, '[0].metadata.labels.__proto__');
    expect((await callJson('PUT', sePath('proto'), { body: SE('proto') })).status).toBe(201);
    await refused(() => callJson('PATCH', sePath('proto'), { body: '{"metadata":{"labels":{"__proto__":{"app":"x"}}}}', contentType: 'application/merge-patch+json' }), 400, 'metadata.labels.__proto__');
  });

  it("checks label and annotation keys and label values by Kubernetes' rules", async () => {
    await refused(() => callJson('PUT', sePath('keys'), { body: SE('keys', { labels: { 'a/b/c': 'x' } }) }), 400, 'metadata.labels["a/b/c"]');
    await refused(() => callJson('PUT', sePath('keys'), { body: SE('keys', { labels: { [`${'x'.repeat(64)}`]: 'x' } }) }), 400, `metadata.labels.${'x'.repeat(64)}`);
    await refused(() => callJson('PUT', sePath('keys'), { body: SE('keys', { labels: { app: '-bad' } }) }), 400, 'metadata.labels.app');
    await refused(() => callJson('PUT', sePath('keys'), { body: SE('keys', { annotations: { 'Bad_Prefix.io/x': 'anything' } }) }), 400, 'metadata.annotations["Bad_Prefix.io/x"]');
    expect((await callJson('PUT', sePath('keys'), { body: SE('keys', { labels: { 'app.kubernetes.io/name': 'reviews', empty: '' }, annotations: { 'example.com/free-text': 'any value at all' } }) })).status).toBe(201);
  });

  it("checks Secrets' label keys and values", async () => {
    const secret = (labels: string) => SECRET_YAML('labelled', NS).replace('labels: {team: payments}', `labels: {${labels}}`);
    await refused(() => callJson('PUT', `/api/v1/namespaces/${NS}/secrets/labelled`, { body: secret('a/b/c: x') }), 400, 'metadata.labels["a/b/c"]');
    await refused(() => callJson('PUT', `/api/v1/namespaces/${NS}/secrets/labelled`, { body: secret('team: "-bad"') }), 400, 'metadata.labels.team');
    await refused(() => callJson('PUT', `/api/v1/namespaces/${NS}/secrets/labelled`, { body: secret('team: "\\0"') }), 400, 'metadata.labels.team');
    expect((await callJson('PUT', `/api/v1/namespaces/${NS}/secrets/labelled`, { body: secret('team: payments') })).status).toBe(201);
  });

  it.each(['\\Z', '\\e', '\\G', '\\K', '\\R', '\\X', '\\h', '\\N{DIGIT ONE}', 'a{1001}', '[[:foo:]]', '\\g1', '((a{10}){10}){10}'])(
    'refuses the regex %s, which Envoy would NACK, where a VirtualService matches a URI, a header or a query parameter',
    async (regex) => {
      const vs = (match: Record<string, unknown>) => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'regex', namespace: NS },
        spec: { hosts: [`regex.${NS}.svc.cluster.local`], http: [{ match: [match], route: [{ destination: { host: `regex.${NS}.svc.cluster.local` } }] }] },
      });
      const put = (match: Record<string, unknown>) => () => callJson('PUT', `/api/v1/namespaces/${NS}/virtualservices/regex`, { body: vs(match) });
      await refused(put({ uri: { regex } }), 400, 'spec.http[0].match[0].uri.regex');
      await refused(put({ headers: { 'x-user': { regex } } }), 400, 'spec.http[0].match[0].headers["x-user"].regex');
      await refused(put({ queryParams: { q: { regex } } }), 400, 'spec.http[0].match[0].queryParams.q.regex');
    },
  );

  it('takes \\Q…\\E, which RE2 parses (and JavaScript does not)', async () => {
    expect((await callJson('PUT', sePath('quoted'), { body: SE('quoted') })).status).toBe(201);
    const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'quoted', namespace: NS }, spec: { hosts: [`quoted.${NS}.svc.cluster.local`], http: [{ match: [{ uri: { regex: '\\Q/a.b*c\\E.*' } }], route: [{ destination: { host: `quoted.${NS}.svc.cluster.local` } }] }] } };
    const res = await callJson('PUT', `/api/v1/namespaces/${NS}/virtualservices/quoted`, { body: vs });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('refuses YAML whose aliases expand past 1 MiB (one 100 KB anchor aliased 90 times)', async () => {
    const anchor = 'x'.repeat(100 * 1024);
    const yaml = `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: aliased\n  namespace: ${NS}\n  annotations:\n    a: &big "${anchor}"\n${Array.from({ length: 90 }, (_, i) => `    b${i}: *big`).join('\n')}\nspec:\n  hosts: [aliased.${NS}.svc.cluster.local]\n  resolution: STATIC\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  endpoints: [{address: 10.0.0.1}]\n`;
    const body = await refused(() => apply(yaml), 400, '[0]');
    expect(body.errors[0].message).toMatch(/^larger than 1048576 bytes as JSON \(YAML aliases expanded\)/);
  });

  it('answers a large dry run under an Idempotency-Key, and does not keep it', async () => {
    const objects = Array.from({ length: 2_500 }, (_, i) => SE(`dry-${i}`));
    const send = () => callJson('POST', '/api/v1/apply?dryRun=true', { body: objects, headers: { 'idempotency-key': 'dry-run-2500' } });
    const first = await send();
    expect(first.status, JSON.stringify(first.body).slice(0, 300)).toBe(200);
    expect(first.body.changes).toHaveLength(2_500);
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await countRows('objects')).not.toBeGreaterThan(2_500);
  }, 120_000);

  it('answers two token creations racing for one name with one 201 and one 409', async () => {
    const create = () => callJson('POST', '/api/v1/tokens', { body: { name: 'racer', scopes: ['config:read'] } });
    const statuses = (await Promise.all([create(), create(), create()])).map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    const conflict = await create();
    expect(conflict.body.errors).toEqual([{ path: 'name', message: expect.any(String) }]);
  });
});

import { env, SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { brokenBody, hostileValue, hostileYaml, mutated, pathsOf, toJsonText, toYamlText } from '../support/fuzz-inputs';
import { fuzzSettings, seededRandom } from '../support/fuzz-settings';
import { answerOf, expectHealthy, expectWellFormedAnswer, storedState, type Answer } from './fuzz-oracles';
import { ADMIN, BASE, callJson } from './helpers';

/**
 * Issue 13's fuzz suite over the config API, inside workerd with real D1 and R2: seeded mutations of valid
 * Istio objects (and hostile bodies) through PUT, PATCH (merge and JSON patch), DELETE and apply (JSON and
 * YAML), with dry runs, Idempotency-Keys and If-Match. FUZZ_SEED replays a run; FUZZ_RUNS=10 is ten times
 * the CI-sized one (vitest.config.ts passes both in as bindings).
 */

const settings = fuzzSettings(env as unknown as Record<string, unknown>, 'fuzz-config-api');
const NS = 'fuzz';
const host = (name: string) => `${name}.${NS}.svc.cluster.local`;

/** One valid object of each kind, with the fields the issue's cases reach (regexes, labels, patches, ports, weights). */
const BASES: Record<string, any> = {
  serviceentries: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'reviews', namespace: NS, labels: { app: 'reviews' }, annotations: { 'example.com/owner': 'fuzz' } },
    spec: { hosts: [host('reviews')], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1', labels: { version: 'v1' }, ports: { http: 9080 } }, { address: '10.0.0.2', labels: { version: 'v2' } }] },
  },
  destinationrules: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: NS },
    spec: {
      host: host('reviews'),
      trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 10 } }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    },
  },
  virtualservices: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: NS },
    spec: {
      hosts: [host('reviews')],
      http: [
        { match: [{ uri: { regex: '/api/v[0-9]+/.*' }, headers: { 'x-user': { exact: 'jason' }, 'x-tag': { regex: 'a|b' } } }], route: [{ destination: { host: host('reviews'), subset: 'v2' } }], retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx' }, timeout: '5s' },
        { route: [{ destination: { host: host('reviews'), subset: 'v1' }, weight: 80 }, { destination: { host: host('reviews'), subset: 'v2' }, weight: 20 }], fault: { abort: { percentage: { value: 0.1 }, httpStatus: 503 } } },
      ],
    },
  },
  gateways: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'ingress', namespace: NS },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'] }] },
  },
  envoyfilters: {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'buffer', namespace: NS },
    spec: { configPatches: [{ applyTo: 'CLUSTER', match: { cluster: { service: host('reviews') } }, patch: { operation: 'MERGE', value: { connect_timeout: '3s' } } }] },
  },
  sidecars: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: 'default', namespace: NS },
    spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] },
  },
};
const PLURALS = Object.keys(BASES);
const objectPath = (plural: string, name: string, namespace = NS) => `/api/v1/namespaces/${namespace}/${plural}/${name}`;

interface FuzzRequest {
  method: string;
  path: string;
  body?: string | Uint8Array;
  contentType?: string;
  headers: Record<string, string>;
  /** Whether a success may store something (a dry run may not). */
  dryRun: boolean;
}

/** Short enough to print: fast-check shows counterexamples with this. */
function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : `<${r.body.length} bytes>`;
  return `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${r.contentType ?? ''} ${body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body}`;
}
const request = (r: FuzzRequest): FuzzRequest => Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) });

const options = fc.record({
  dryRun: fc.boolean(),
  idempotencyKey: fc.option(fc.oneof(fc.uuid(), fc.constantFrom('bad key', '', 'x'.repeat(300), 'key"with"quotes', 'same-key-for-all')), { nil: undefined }),
  ifMatch: fc.option(fc.constantFrom('"1"', '*', 'garbage', '"999999"', 'W/"1"', ''), { nil: undefined }),
});

const headersOf = (o: { idempotencyKey?: string; ifMatch?: string }) => ({
  ...(o.idempotencyKey !== undefined ? { 'idempotency-key': o.idempotencyKey } : {}),
  ...(o.ifMatch !== undefined ? { 'if-match': o.ifMatch } : {}),
});
const query = (dryRun: boolean) => (dryRun ? '?dryRun=true' : '');
const asText = (value: unknown, yaml: boolean) => ({ body: yaml ? toYamlText(value) : toJsonText(value), contentType: yaml ? 'application/yaml' : 'application/json' });

const pluralArb = fc.constantFrom(...PLURALS);
/** Mostly the base object's own path, sometimes a name, namespace or plural that does not fit it. */
const targetArb = (plural: string) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(objectPath(plural, BASES[plural].metadata.name)) },
    { weight: 1, arbitrary: fc.constantFrom('other', 'UPPER', 'x'.repeat(300), '%2e%2e', 'a.b', '💥', '-bad', '__proto__').map((name) => objectPath(plural, encodeURIComponent(name))) },
    { weight: 1, arbitrary: fc.constantFrom('kube-system', 'UPPER', '%00', '_', 'x'.repeat(70)).map((ns) => objectPath(plural, BASES[plural].metadata.name, ns)) },
    { weight: 1, arbitrary: fc.constant(`/api/v1/namespaces/${NS}/secrets/${BASES[plural].metadata.name}`) },
  );

const putArb = pluralArb.chain((plural) =>
  fc.tuple(targetArb(plural), mutated(BASES[plural]), fc.boolean(), options).map(([path, object, yaml, o]) => request({ method: 'PUT', path: path + query(o.dryRun), ...asText(object, yaml), headers: headersOf(o), dryRun: o.dryRun })),
);

const mergePatchArb = pluralArb.chain((plural) =>
  fc
    .tuple(fc.constantFrom({ metadata: { labels: { tier: 'x' } } }, { spec: BASES[plural].spec }, { metadata: { annotations: { 'example.com/a': 'b' } } }, { spec: null }).chain(mutated), options)
    .map(([patch, o]) => request({ method: 'PATCH', path: objectPath(plural, BASES[plural].metadata.name) + query(o.dryRun), body: toJsonText(patch), contentType: 'application/merge-patch+json', headers: headersOf(o), dryRun: o.dryRun })),
);

/** JSON patch paths: the base object's own, and the issue's hostile ones. */
const pointer = (path: (string | number)[]) => path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
const jsonPatchArb = pluralArb.chain((plural) => {
  const own = pathsOf(BASES[plural]).map(pointer);
  const path = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...own) }, { weight: 2, arbitrary: fc.constantFrom('/metadata/__proto__/x', '/metadata/labels/constructor/prototype/x', '/__proto__', '/spec/hosts/-', '/spec/hosts/999', '/spec/~2', '', '/', '/spec/', 'spec', '/metadata/labels/a~1b~1c') }, { weight: 1, arbitrary: own.length ? fc.constantFrom(...own).map((p) => `${p}/0/x`) : fc.constant('/x') });
  const op = fc.oneof(
    fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path, value: hostileValue }),
    fc.record({ op: fc.constant('remove'), path }),
    fc.record({ op: fc.constantFrom('move', 'copy'), from: path, path }),
    fc.record({ op: fc.constantFrom('jump', '', 'ADD'), path }),
    hostileValue,
  );
  return fc
    .tuple(fc.oneof({ weight: 9, arbitrary: fc.array(op, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: hostileValue }), options)
    .map(([ops, o]) => request({ method: 'PATCH', path: objectPath(plural, BASES[plural].metadata.name) + query(o.dryRun), body: toJsonText(ops), contentType: 'application/json-patch+json', headers: headersOf(o), dryRun: o.dryRun }));
});

const deleteArb = pluralArb.chain((plural) => fc.tuple(targetArb(plural), options).map(([path, o]) => request({ method: 'DELETE', path: path + query(o.dryRun), headers: headersOf(o), dryRun: o.dryRun })));

const applyArb = fc
  .tuple(fc.array(pluralArb.chain((p) => mutated(BASES[p])), { minLength: 1, maxLength: 4 }), fc.constantFrom('json', 'yaml', 'yaml-anchors'), options, fc.constantFrom('', '&namespace=other', '&prune=true', '&namespace=%00'))
  .map(([objects, form, o, extra]) => {
    let text: { body: string; contentType: string };
    if (form === 'json') text = { body: toJsonText(objects), contentType: 'application/json' };
    else if (form === 'yaml') text = { body: objects.map((x) => toYamlText(x)).join('---\n'), contentType: 'application/yaml' };
    // Anchors in one document, aliases in the next (YAML scopes anchors per document, so the aliases are errors there).
    else text = { body: objects.map((x, i) => (i === 0 ? `# first\n${toYamlText(x)}` : toYamlText(x).replace(/^(metadata:)/m, i % 2 ? '$1 *undefined_anchor\nx:' : '$1')).replace(/^kind:/m, i === 0 ? 'kind: &k' : 'kind:')).join('---\n'), contentType: 'application/yaml' };
    return request({ method: 'POST', path: `/api/v1/apply?${o.dryRun ? 'dryRun=true' : ''}${extra}`, ...text, headers: headersOf(o), dryRun: o.dryRun });
  });

const hostileBodyArb = fc
  .tuple(fc.oneof(hostileYaml.map((body) => ({ body, contentType: 'application/yaml' })), brokenBody), fc.constantFrom('PUT', 'PATCH', 'POST'), pluralArb, options)
  .map(([b, method, plural, o]) => request({ method, path: (method === 'POST' ? '/api/v1/apply' : objectPath(plural, BASES[plural].metadata.name)) + query(o.dryRun), ...b, headers: headersOf(o), dryRun: o.dryRun }));

/** A valid write of a base object, relabelled: keeps objects around for the PATCHes and DELETEs to find, and commits. */
const restoreArb = fc
  .tuple(pluralArb, fc.nat(20), fc.boolean())
  .map(([plural, n, yaml]) => {
    const object = { ...BASES[plural], metadata: { ...BASES[plural].metadata, labels: { ...BASES[plural].metadata.labels, fuzz: String(n) } } };
    return request({ method: 'PUT', path: objectPath(plural, object.metadata.name), ...asText(object, yaml), headers: {}, dryRun: false });
  });

/** The API's other writes: tokens, webhooks, rollbacks, bridges' status reports, rollouts. */
const json = (method: string, path: string) => (body: unknown) => request({ method, path, body: toJsonText(body), contentType: 'application/json', headers: {}, dryRun: false });
const otherWriteArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  mutated({ name: 'fuzz-token', scopes: ['config:read'] }).map(json('POST', '/api/v1/tokens')),
  fc.tuple(fc.constantFrom('fuzz-hook', 'x'.repeat(70), '-bad', '%00'), mutated({ url: 'https://hooks.example.com/x', events: ['revision.converged'] })).map(([name, body]) => json('PUT', `/api/v1/webhooks/${encodeURIComponent(name)}`)(body)),
  fc.constantFrom('1', '0', '-1', '1.5', '99999999999999999999', 'x', '%00', '1e3').map((n) => json('POST', `/api/v1/revisions/${n}/rollback${query(false)}`)(undefined)),
  mutated({ bridge: 'fuzz-bridge', proxies: [{ node_id: 'fuzz-ads', labels: { app: 'reviews' }, view: 'envoy|mesh', last_seen: '2026-12-07T00:00:00.000Z', types: { 'type.googleapis.com/envoy.config.cluster.v3.Cluster': { acked: 'a', served: 'b', served_revision: 1 } } }] }).map(json('POST', '/api/v1/proxies/status')),
  mutated({ virtualService: { namespace: NS, name: 'reviews' }, stable: { host: host('reviews'), subset: 'v1' }, candidate: { host: host('reviews'), subset: 'v2' }, steps: [10, 50, 100], pauseSeconds: 5 }).map(json('POST', '/api/v1/rollouts')),
);

const requestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 2, arbitrary: otherWriteArb },
  { weight: 5, arbitrary: putArb },
  { weight: 3, arbitrary: mergePatchArb },
  { weight: 4, arbitrary: jsonPatchArb },
  { weight: 1, arbitrary: deleteArb },
  { weight: 4, arbitrary: applyArb },
  { weight: 2, arbitrary: hostileBodyArb },
  { weight: 3, arbitrary: restoreArb },
);

async function send(r: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}`, ...r.headers };
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  return answerOf(await SELF.fetch(new Request(BASE + r.path, { method: r.method, headers, ...(r.body !== undefined ? { body: r.body } : {}) })));
}

const tally: Record<string, number> = {};

/** Sends one request and holds its answer to the oracles: well formed, and nothing stored unless it succeeded for real. */
async function sendAndCheck(r: FuzzRequest): Promise<Answer> {
  const before = await storedState();
  const answer = await send(r);
  const what = describeRequest(r);
  expectWellFormedAnswer(what, answer);
  if (answer.status >= 400 || r.dryRun) expect(await storedState(), `${what}: ${answer.status}${r.dryRun ? ' (dry run)' : ''} changed what is stored`).toBe(before);
  tally[answer.status] = (tally[answer.status] ?? 0) + 1;
  return answer;
}

describe('fuzzing the config API', () => {
  beforeAll(async () => {
    for (const plural of PLURALS) expect((await callJson('PUT', objectPath(plural, BASES[plural].metadata.name), { body: BASES[plural] })).status, plural).toBe(201);
  });

  it('answers every mutated write with a 2xx or a problem naming the field, and stores nothing it refused', async () => {
    let batches = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 8 }), async (batch) => {
        for (const r of batch) await sendAndCheck(r);
        await expectHealthy(`after batch ${++batches}`);
      }),
      { seed: settings.seed, numRuns: Math.round(60 * settings.scale), endOnFailure: true },
    );
    console.log(`fuzz-config-api: seed ${settings.seed}, ${batches} batches, answers by status ${JSON.stringify(tally)}`);
    expect(Object.keys(tally).some((s) => s.startsWith('2')), 'some writes succeeded').toBe(true);
    expect(Object.keys(tally).some((s) => s.startsWith('4')), 'some writes were refused').toBe(true);
  }, 600_000);

  it('loses no update among 20 concurrent If-Match writers', async () => {
    const WRITERS = 20;
    const EACH = Math.round(settings.scale);
    const path = objectPath('serviceentries', 'contended');
    const base = { ...BASES.serviceentries, metadata: { name: 'contended', namespace: NS, labels: {} as Record<string, string> }, spec: { ...BASES.serviceentries.spec, hosts: [host('contended')] } };
    expect((await callJson('PUT', path, { body: base })).status).toBe(201);
    const headBefore = (await env.DB.prepare('SELECT max(id) AS n FROM revisions').first<{ n: number }>())!.n;
    let conflicts = 0;
    const backoff = seededRandom(settings.seed);
    const writer = async (w: number) => {
      for (let done = 0; done < EACH; ) {
        const got = await callJson('GET', path);
        const etag = got.headers.get('etag')!;
        const labels = { ...got.body.metadata.labels, [`w${w}`]: String(done + 1) };
        // Half the writers PUT the whole object, half send a merge patch: both honour If-Match.
        const res =
          w % 2
            ? await callJson('PUT', path, { body: { ...got.body, metadata: { ...got.body.metadata, labels } }, headers: { 'if-match': etag } })
            : await callJson('PATCH', path, { body: JSON.stringify({ metadata: { labels: { [`w${w}`]: String(done + 1) } } }), contentType: 'application/merge-patch+json', headers: { 'if-match': etag } });
        expectWellFormedAnswer(`writer ${w}`, { status: res.status, contentType: res.headers.get('content-type') ?? '', text: JSON.stringify(res.body ?? '') });
        if (res.status === 200) done++;
        else if (res.status === 412 || res.status === 409) {
          conflicts++;
          // Backed off at random, as a client would: twenty writers in lockstep would mostly collide.
          await new Promise((r) => setTimeout(r, backoff.int(0, 200)));
        }
        else expect.fail(`writer ${w}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const final = await callJson('GET', path);
    expect(final.body.metadata.labels).toEqual(Object.fromEntries(Array.from({ length: WRITERS }, (_, w) => [`w${w}`, String(EACH)])));
    // Each update its own revision: none merged into another, none lost.
    expect((await env.DB.prepare('SELECT max(id) AS n FROM revisions').first<{ n: number }>())!.n - headBefore).toBe(WRITERS * EACH);
    console.log(`fuzz-config-api: ${WRITERS} If-Match writers × ${EACH} updates, ${conflicts} refused as stale and retried`);
  }, 300_000);
});

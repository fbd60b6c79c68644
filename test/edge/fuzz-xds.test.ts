import { env, SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADS_TYPE_URLS, type AdsType } from '../../xds';
import { hostileKey, hostileValue, mutated, toJsonText } from '../support/fuzz-inputs';
import { fuzzSettings } from '../support/fuzz-settings';
import { answerOf, expectHealthy, expectWellFormedAnswer, storedState } from './fuzz-oracles';
import { ADMIN, apply, BASE, envoy, envoyNode, REVIEWS } from './helpers';

/**
 * Issue 13's fuzz suite over the xDS endpoints, inside workerd with real D1 and R2: REST discovery requests
 * (POST /v3/discovery:*) with mutated nodes, resource names, versions and type URLs, and the bridge's
 * snapshot requests (POST /api/v1/snapshots) with mutated node classes. Oracles: no 5xx, 4xx problem+json
 * naming the field, every 200 decodes with Envoy's protos, config never changes, the Worker stays healthy.
 */

const settings = fuzzSettings(env as unknown as Record<string, unknown>, 'fuzz-xds');
const TYPES = Object.keys(ADS_TYPE_URLS) as AdsType[];
const CLUSTER = 'outbound|9080|v1|reviews.default.svc.cluster.local';

interface XdsRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}
const describeRequest = (r: XdsRequest) => `POST ${r.path} ${JSON.stringify(r.headers)} ${r.body.length > 300 ? `${r.body.slice(0, 300)}… (${r.body.length} chars)` : r.body}`;
const request = (r: XdsRequest): XdsRequest => Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) });

const nameArb = fc.oneof(
  fc.constantFrom(CLUSTER, '9080', 'kubernetes://reviews-cert', '', '*', 'outbound|9080||reviews.default.svc.cluster.local', 'x'.repeat(2000), '💥', '\u0000', 'outbound|99999|v1|nope'),
  hostileKey,
);
/** Resource names: a few, far more than the limit, or not a list of strings. */
const namesArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(nameArb, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(600, 5_000).map((n) => Array.from({ length: n }, (_, i) => `outbound|9080|v${i}|reviews.default.svc.cluster.local`)) },
  { weight: 1, arbitrary: hostileValue },
);

const discoveryArb = fc
  .tuple(
    fc.constantFrom(...TYPES),
    mutated(envoyNode('fuzz-sidecar', { app: 'reviews', version: 'v1' })),
    fc.option(namesArb, { nil: undefined }),
    fc.option(fc.oneof(fc.constantFrom('', 'stale', 'x'.repeat(5000)), hostileValue), { nil: undefined }),
    fc.boolean(),
    fc.constantFrom('snake', 'camel', 'wrong-type-url', 'extra-fields'),
    fc.record({ ads: fc.boolean(), host: fc.constantFrom('xds_cluster', '', 'a..b', 'x'.repeat(300)), token: fc.constantFrom('none', 'admin', 'garbage'), path: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'unknown', 'encoded') }),
  )
  .map(([type, node, names, version, tokenInBody, form, h]) => {
    const body: Record<string, unknown> = { node };
    const field = (snake: string, camel: string, value: unknown) => value !== undefined && (body[form === 'camel' ? camel : snake] = value);
    field('type_url', 'typeUrl', form === 'wrong-type-url' ? ADS_TYPE_URLS[TYPES[(TYPES.indexOf(type) + 1) % TYPES.length]!] : ADS_TYPE_URLS[type]);
    field('resource_names', 'resourceNames', names);
    field('version_info', 'versionInfo', version);
    if (form === 'extra-fields') Object.assign(body, { response_nonce: 'n', error_detail: { code: 3, message: 'x'.repeat(10_000) }, __proto__x: 1 });
    if (tokenInBody && node && typeof node === 'object' && !Array.isArray(node)) (node as Record<string, any>).metadata = { ...((node as Record<string, any>).metadata ?? {}), xds_token: h.token === 'admin' ? ADMIN : 'garbage' };
    const headers: Record<string, string> = { host: h.host, 'content-type': 'application/json', ...(h.ads ? { 'x-xds-subscriber': 'ads' } : {}), ...(h.token === 'admin' ? { authorization: `Bearer ${ADMIN}` } : h.token === 'garbage' ? { authorization: 'Bearer garbage' } : {}) };
    const path = h.path === 'unknown' ? '/v3/discovery:scoped-routes' : h.path === 'encoded' ? `/v3/discovery%3A${type}` : `/v3/discovery:${type}`;
    return request({ path, body: toJsonText(body), headers: { ...headers, ...(headers.host ? {} : { host: 'xds_cluster' }) } });
  });

const bridgeNodeArb = mutated({ user_agent_name: 'envoy', labels: { app: 'reviews' }, namespace: 'default', locality: { region: 'eu', zone: 'eu-1' } });
const snapshotsArb = fc
  .oneof(
    fc.record({ nodes: fc.array(bridgeNodeArb, { minLength: 1, maxLength: 4 }), revision: fc.option(fc.oneof(fc.constantFrom(0, 1, 999_999), hostileValue), { nil: undefined }) }),
    mutated({ nodes: [{ user_agent_name: 'grpc', labels: { app: 'reviews' } }], have: { 'envoy|mesh': 'v1' }, since: { 'envoy|mesh': 'v/00000000000000000000000000000000' } }),
    fc.constant({ nodes: Array.from({ length: 1001 }, () => ({ user_agent_name: 'envoy' })) }),
    hostileValue,
  )
  .map((body) => request({ path: '/api/v1/snapshots', body: toJsonText(body), headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }));

/** Every resource in a 200 decodes strictly; a snapshots answer's views too. */
function expectDecodable(what: string, path: string, text: string): void {
  const body = JSON.parse(text);
  const resources: Record<string, unknown>[] = path === '/api/v1/snapshots' ? Object.values(body.snapshots as Record<string, { types: Record<string, { resources: Record<string, unknown>[] }> }>).flatMap((v) => Object.values(v.types).flatMap((t) => t.resources)) : body.resources;
  for (const resource of resources) {
    try {
      envoy().decodeStrict(resource);
    } catch (err) {
      expect.fail(`${what}: a served resource does not decode: ${(err as Error).message}`);
    }
  }
}

describe('fuzzing the xDS endpoints', () => {
  beforeAll(async () => {
    expect((await apply(REVIEWS())).status).toBe(201);
  });

  it('answers every mutated discovery and snapshot request with config that decodes, or a problem naming the field', async () => {
    const tally: Record<string, number> = {};
    const config = await storedState();
    let batches = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 4, arbitrary: discoveryArb }, { weight: 1, arbitrary: snapshotsArb }), { minLength: 1, maxLength: 10 }), async (batch) => {
        for (const r of batch) {
          const answer = await answerOf(await SELF.fetch(new Request(BASE + r.path, { method: 'POST', headers: r.headers, body: r.body })));
          const what = describeRequest(r);
          expectWellFormedAnswer(what, answer);
          if (answer.status === 200) expectDecodable(what, r.path, answer.text);
          tally[answer.status] = (tally[answer.status] ?? 0) + 1;
        }
        expect(await storedState(), 'discovery requests change no config').toBe(config);
        await expectHealthy(`after batch ${++batches}`);
      }),
      { seed: settings.seed, numRuns: Math.round(80 * settings.scale), endOnFailure: true },
    );
    console.log(`fuzz-xds: seed ${settings.seed}, ${batches} batches, answers by status ${JSON.stringify(tally)}`);
    expect(tally[200], 'some requests were served').toBeGreaterThan(0);
    expect(tally[400], 'some requests were refused').toBeGreaterThan(0);
  }, 600_000);
});

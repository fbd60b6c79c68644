import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { RESOURCE_TYPES } from '../../xds';
import { BASE, envoy, envoyNode } from './helpers';

/**
 * The fuzz suites' oracles (issue 13): no 5xx; every 4xx is application/problem+json whose `errors` name the
 * field, or whose detail names the limit or the header at fault; nothing stored after a refused write or a
 * dry run; the Worker healthy and still serving config after each batch.
 */

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** 4xx answers that are about no body field: the caller, the object's existence or version, the method, the media type. */
const NOT_ABOUT_A_FIELD = new Set([401, 403, 404, 405, 412, 415]);

/** What makes one answer acceptable, whatever the input was; `what` says which request, for the message. */
export function expectWellFormedAnswer(what: string, a: Answer): void {
  expect(a.status, `${what}: a 5xx\n${a.text.slice(0, 800)}`).toBeLessThan(500);
  expect(a.status, what).toBeGreaterThanOrEqual(200);
  if (a.status < 400) return;
  expect(a.contentType, `${what}: ${a.status} as problem+json`).toBe('application/problem+json');
  const problem = JSON.parse(a.text) as { status: number; title: string; detail?: string; errors?: { path: unknown; message: unknown }[] };
  expect(problem.status, what).toBe(a.status);
  expect(problem.title, what).toEqual(expect.any(String));
  for (const e of problem.errors ?? []) expect(e, `${what}: each error names a path`).toEqual({ ...e, path: expect.any(String), message: expect.any(String) });
  if (NOT_ABOUT_A_FIELD.has(a.status)) return expect(problem.detail, `${what}: ${a.status} says why`).toEqual(expect.any(String));
  // A limit (413) names its size; Idempotency-Key and revision conflicts (409, 422) name the header or the revision.
  const namesLimitOrHeader = /\d+ (bytes|objects|statements|levels|names)|limit|Idempotency-Key|If-Match|revision/i.test(problem.detail ?? '');
  expect((problem.errors?.length ?? 0) > 0 || namesLimitOrHeader, `${what}: ${a.status} names the field or the limit\n${a.text.slice(0, 800)}`).toBe(true);
}

/** Everything a write may change: revisions, object rows, kept Idempotency-Key answers, tokens, webhooks, rollouts. */
export async function storedState(): Promise<string> {
  const rows = await env.DB.batch([
    env.DB.prepare('SELECT id, config_hash, root FROM revisions ORDER BY id'),
    env.DB.prepare('SELECT kind, namespace, name, api_version, labels, annotations, spec, resource_version, generation FROM objects ORDER BY kind, namespace, name'),
    env.DB.prepare('SELECT count(*) AS n FROM object_history'),
    env.DB.prepare('SELECT caller, key, status FROM idempotency_keys WHERE status IS NOT NULL ORDER BY caller, key'),
    env.DB.prepare('SELECT name, scopes FROM tokens ORDER BY name'),
    env.DB.prepare('SELECT name, url, events FROM webhooks ORDER BY name'),
    env.DB.prepare('SELECT count(*) AS n FROM rollouts'),
  ]);
  return JSON.stringify(rows.map((r) => r.results));
}

/** The Worker answers /healthz and still serves config that decodes with Envoy's protos. */
export async function expectHealthy(what: string): Promise<void> {
  const health = await SELF.fetch(`${BASE}/healthz`);
  expect(health.status, `${what}: /healthz`).toBe(200);
  await health.body?.cancel();
  const res = await SELF.fetch(new Request(`${BASE}/v3/discovery:clusters`, { method: 'POST', headers: { host: 'xds_cluster', 'content-type': 'application/json' }, body: JSON.stringify({ node: envoyNode('fuzz-health'), type_url: RESOURCE_TYPES.clusters }) }));
  expect(res.status, `${what}: CDS still served`).toBe(200);
  for (const resource of ((await res.json()) as { resources: Record<string, unknown>[] }).resources) envoy().decodeStrict(resource);
}

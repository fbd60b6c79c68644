import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { apply, call, callJson } from './helpers';
import { act, host, mesh, read, request, runAlarm, setUp, start } from './rollouts-support';

type Json = Record<string, any>;

const count = async (table: 'rollouts' | 'revisions') => (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())!.n;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

/** A refused start: the status, a problem document naming `path`, and nothing stored (no rollout, no revision). */
async function refused(body: unknown, status: number, path: string, message?: RegExp, contentType?: string) {
  const [rollouts, revisions] = [await count('rollouts'), await count('revisions')];
  const res = await call('POST', '/api/v1/rollouts', { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: contentType ?? 'application/json' });
  const problem = await res.json<Json>();
  expect(res.status, JSON.stringify(problem)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const paths = problem.errors.map((e: Json) => e.path);
  expect(paths, JSON.stringify(problem.errors)).toContain(path);
  if (message) expect(problem.errors.find((e: Json) => e.path === path).message).toMatch(message);
  expect(await count('rollouts')).toBe(rollouts);
  expect(await count('revisions')).toBe(revisions);
  return problem;
}

describe('POST /api/v1/rollouts refuses bad input, naming the field, and stores nothing', () => {
  it('refuses a malformed request with 400', async () => {
    const ns = await setUp('bad');
    const good = request(ns);
    await refused('{"name":', 400, '', /invalid JSON/);
    await refused({ ...good, steps: [10, 5, 100] }, 400, 'steps[1]', /greater than the step before/);
    await refused({ ...good, steps: [10, 50] }, 400, 'steps[1]', /last step must be 100/);
    await refused({ ...good, steps: [0, 100] }, 400, 'steps[0]', /at least 1/);
    await refused({ ...good, steps: [10, 150] }, 400, 'steps[1]', /at most 100/);
    await refused({ ...good, steps: [] }, 400, 'steps');
    await refused({ ...good, stable: { host: host(ns), subset: 'V1!' } }, 400, 'stable.subset', /DNS-1123 label/);
    await refused({ ...good, candidate: { host: '*.example.com' } }, 400, 'candidate.host');
    await refused({ ...good, candidate: { host: host(ns), subset: 'v2', version: 'x' } }, 400, 'candidate.version', /unknown field/);
    await refused({ ...good, paused: true }, 400, 'paused', /unknown field/);
    await refused({ ...good, pauseSeconds: -1 }, 400, 'pauseSeconds');
    await refused({ ...good, timeoutSeconds: 0 }, 400, 'timeoutSeconds');
    await refused({ ...good, virtualService: undefined }, 400, 'virtualService', /required/);
    await refused({ ...good, virtualService: { namespace: ns, name: 'Reviews!' } }, 400, 'virtualService.name');
    await refused({ ...good, candidate: { host: host(ns), subset: 'v1' } }, 400, 'candidate', /must differ from the stable/);
    const badManifest = [{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x', namespace: ns }, spec: { hosts: ['x'], ports: [{ number: 0, name: 'http', protocol: 'HTTP' }] } }];
    await refused({ ...good, manifest: [badManifest[0], { ...badManifest[0], spec: { hosts: ['ok.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], bogus: 1 } }] }, 400, 'manifest[1].spec.bogus', /unknown field/);
    await refused({ ...good, manifest: [{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: ns }, spec: { hosts: [host(ns)], http: [{ route: [{ destination: { host: host(ns) } }] }] } }] }, 400, 'manifest[0]', /the VirtualService the rollout sets/);
    await refused('name: [unclosed', 400, '', /invalid YAML/, 'application/yaml');
    expect((await call('POST', '/api/v1/rollouts', { body: 'x', contentType: 'text/csv' })).status).toBe(415);
  });

  it('refuses with 409 a request that does not match the current config', async () => {
    const ns = await setUp('mismatch');
    const good = request(ns);
    await refused({ ...good, virtualService: { namespace: ns, name: 'nope' } }, 409, 'virtualService', /does not exist/);
    await refused({ ...good, route: 'secondary' }, 409, 'route', /no http route named "secondary" \(routes: primary\)/);
    await refused({ ...good, route: '#3' }, 409, 'route', /no http route #3/);
    await refused({ ...good, stable: { host: host(ns), subset: 'v3' }, candidate: { host: host(ns), subset: 'v2' } }, 409, 'route', /also sends traffic to .* subset v1/);
    // The candidate must exist: the first step goes through the normal commit path, which refuses an unknown subset.
    const problem = await refused({ ...good, candidate: { host: host(ns), subset: 'v9' } }, 409, 'spec.http[0].route[1].destination.subset');
    expect(problem.errors[0].object).toBe(`VirtualService/${ns}/reviews`);

    const two = `${ns}-two`;
    await apply(mesh(two, `[{destination: {host: ${host(two)}, subset: v1}}]\n  - name: other\n    route: [{destination: {host: ${host(two)}, subset: v3}}]`));
    await refused({ ...request(two), route: undefined }, 409, 'route', /has 2 http routes; name one/);
  });

  it('accepts YAML with defaults, the only route found without a name, and a route already split between stable and candidate', async () => {
    const ns = `yaml-${crypto.randomUUID().slice(0, 8)}`;
    await apply(mesh(ns, `[{destination: {host: ${host(ns)}, subset: v1, port: {number: 9080}}, weight: 80}, {destination: {host: ${host(ns)}, subset: v2}, weight: 20}]`));
    const yaml = `virtualService: {namespace: ${ns}, name: reviews}\nstable: {host: ${host(ns)}, subset: v1}\ncandidate: {host: ${host(ns)}, subset: v2}\n`;
    const res = await callJson('POST', '/api/v1/rollouts', { body: yaml, contentType: 'application/yaml' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: null, route: 'primary', steps: [10, 25, 50, 100], pauseSeconds: 30, timeoutSeconds: 300, manifest: [], weight: 10 });
    const vs = (await callJson('GET', `/api/v1/namespaces/${ns}/virtualservices/reviews`)).body;
    // The stable entry keeps its port; only the weights moved.
    expect(vs.spec.http[0].route).toEqual([
      { destination: { host: host(ns), subset: 'v1', port: { number: 9080 } }, weight: 90 },
      { destination: { host: host(ns), subset: 'v2' }, weight: 10 },
    ]);
  });
});

describe('one active rollout per VirtualService', () => {
  it('refuses a second while the first is progressing or paused, and allows one once it finished', async () => {
    const ns = await setUp('second');
    const first = await start(request(ns));
    expect(first.status).toBe(201);
    const problem = await refused(request(ns, { candidate: { host: host(ns), subset: 'v3' } }), 409, 'virtualService', /active rollout/);
    expect(problem.detail).toContain(`(${first.body.id})`);
    await act(first.body.id, 'pause');
    await refused(request(ns), 409, 'virtualService');
    expect((await act(first.body.id, 'abort')).body.state).toBe('aborted');
    const next = await start(request(ns));
    expect(next.status).toBe(201);
    expect(next.body.id).toBeGreaterThan(first.body.id);
  });

  it('lets only one of three concurrent starts on the same VirtualService through', async () => {
    const ns = await setUp('race');
    const results = await Promise.all([start(request(ns)), start(request(ns)), start(request(ns))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const active = await env.DB.prepare("select count(*) as n from rollouts where vs_namespace = ? and state in ('progressing', 'paused')").bind(ns).first<{ n: number }>();
    expect(active!.n).toBe(1);
  });
});

describe('reading rollouts', () => {
  it('lists them newest first, by state', async () => {
    const a = await start(request(await setUp('list-a')));
    const b = await start(request(await setUp('list-b')));
    await act(a.body.id, 'abort');
    const all = await callJson('GET', '/api/v1/rollouts');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((r: Json) => r.id);
    expect(ids.indexOf(b.body.id)).toBeLessThan(ids.indexOf(a.body.id));
    const progressing = (await callJson('GET', '/api/v1/rollouts?state=progressing')).body.items.map((r: Json) => r.id);
    expect(progressing).toContain(b.body.id);
    expect(progressing).not.toContain(a.body.id);
    const bad = await callJson('GET', '/api/v1/rollouts?state=done');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('state');
    expect((await callJson('GET', '/api/v1/rollouts/999999')).status).toBe(404);
    expect((await callJson('GET', '/api/v1/rollouts/abc')).status).toBe(400);
    expect((await callJson('GET', `/api/v1/rollouts/${b.body.id}?wait=301`)).status).toBe(400);
  });

  it('holds GET ?wait= until the rollout has finished', async () => {
    const ns = await setUp('wait');
    const { body } = await start(request(ns, { steps: [100] }));
    const waiting = callJson('GET', `/api/v1/rollouts/${body.id}?wait=30`);
    await scheduler.wait(100);
    await runAlarm(body.id);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('succeeded');
    // Without wait, the rollout as it is.
    expect((await read(body.id)).state).toBe('succeeded');
  });
});

describe('writes', () => {
  it('honour Idempotency-Key: a retried start returns the first answer and starts nothing new', async () => {
    const ns = await setUp('idem');
    const key = `start-${ns}`;
    const first = await start(request(ns), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const [rollouts, revisions] = [await count('rollouts'), await count('revisions')];
    const again = await start(request(ns), { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect([await count('rollouts'), await count('revisions')]).toEqual([rollouts, revisions]);
  });

  it('need config:write; reads need config:read', async () => {
    const ns = await setUp('scope');
    const reader = (await callJson('POST', '/api/v1/tokens', { body: { name: `reader-${ns}`, scopes: ['config:read'] } })).body.token;
    const denied = await callJson('POST', '/api/v1/rollouts', { body: request(ns), token: reader });
    expect(denied.status).toBe(403);
    expect((await callJson('GET', '/api/v1/rollouts', { token: reader })).status).toBe(200);
    expect((await callJson('GET', '/api/v1/rollouts', { token: null })).status).toBe(401);
    const { body } = await start(request(ns));
    expect((await callJson('POST', `/api/v1/rollouts/${body.id}/pause`, { token: reader })).status).toBe(403);
  });
});

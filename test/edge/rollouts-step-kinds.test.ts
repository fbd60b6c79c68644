import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apply, envoy, envoyNode, poll } from './helpers';
import { act, host, mesh, read, report, request, runAlarm, setUp, start } from './rollouts-support';

// Mirror, A/B (match) and blue-green steps, driven as rollouts-steps.test.ts drives weights: a bridge
// report says which revision the proxies ACKed, and the driver's alarm is run by hand.

type Json = Record<string, any>;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

const rolloutCount = async () => (await env.DB.prepare('select count(*) as n from rollouts').first<{ n: number }>())!.n;

/** The VirtualService's http routes as revision n left them. */
async function httpAt(ns: string, revision: number): Promise<Json[] & [Json, ...Json[]]> {
  const row = await env.DB.prepare("select object from object_history where kind = 'VirtualService' and namespace = ? and name = 'reviews' and revision <= ? order by revision desc limit 1")
    .bind(ns, revision)
    .first<{ object: string }>();
  return JSON.parse(row!.object).spec.http;
}

/** Converges the current step (one proxy ACKs its revision) and runs the driver once. */
async function converge(id: number, node: string): Promise<Json> {
  const r = await read(id);
  // REST pollers of envoyRoutes() are no proxies of these cases (their status may be recorded after the poll answered).
  await env.DB.prepare("delete from proxies where node_id like 'sidecar-%'").run();
  await report([{ node, revision: r.history.at(-1).revision }]);
  await runAlarm(id);
  return read(id);
}

/** The Envoy route of the reviews virtual host as an Envoy sidecar gets it now (RDS 9080), strictly decoded. */
async function envoyRoutes(ns: string): Promise<Json[] & [Json, ...Json[]]> {
  const rds = await poll('routes', { node: envoyNode(`sidecar-${ns}`), names: ['9080'] });
  expect(rds.status).toBe(200);
  const config = rds.body!.resources[0]!;
  envoy().decodeStrict(config); // unknown fields or wrong types throw, naming the field
  return config.virtual_hosts.find((vh: Json) => vh.domains.includes(host(ns))).routes;
}

describe('step kinds: bad input', () => {
  it('is a 400 naming the field, and nothing is stored', async () => {
    const ns = await setUp('sk-bad');
    const before = await rolloutCount();
    const cases: [Json, string, RegExp][] = [
      [{ steps: [{ mirror: 150 }, 100] }, 'steps[0].mirror', /at most 100/],
      [{ steps: [{ mirror: 0 }, 100] }, 'steps[0].mirror', /above 0/],
      [{ steps: [10, { mirror: 20 }, 100] }, 'steps[1]', /before the first weight step/],
      [{ steps: [50, { match: [{ headers: { 'x-canary': { exact: 'yes' } } }] }, 100] }, 'steps[1]', /before the first weight step/],
      [{ steps: [{ match: [{ headers: { 'X-Canary': { exact: 'yes' } } }] }, 100] }, 'steps[0].match[0].headers["X-Canary"]', /lowercase/],
      [{ steps: [{ match: [{}] }, 100] }, 'steps[0].match[0]', /headers, a cookie or both/],
      [{ steps: [{ match: [] }, 100] }, 'steps[0].match', /./],
      [{ steps: [{ match: [{ headers: { 'x-canary': { regex: '(' } } }] }, 100] }, 'steps[0].match[0].headers["x-canary"].regex', /./],
      [{ steps: [{ match: [{ headers: { 'x-canary': { exact: 'a', prefix: 'b' } } }] }, 100] }, 'steps[0].match[0].headers["x-canary"]', /exactly one of exact, prefix or regex/],
      [{ steps: [{ match: [{ cookie: { name: 'a b', value: 'x' } }] }, 100] }, 'steps[0].match[0].cookie.name', /cookie name/],
      [{ steps: [{ mirrr: 20 }, 100] }, 'steps[0].mirrr', /did you mean "mirror"/],
      [{ steps: [{ mirror: 20, weight: 10 }, 100] }, 'steps[0]', /exactly one of weight, mirror and match/],
      [{ steps: ['ten', 100] }, 'steps[0]', /a weight \(1-100\), \{weight: n\}, \{mirror: percent\} or \{match/],
      [{ steps: [{ mirror: 20 }] }, 'steps[0]', /last step must be 100/],
      [{ steps: [{ mirror: 20 }, { weight: 50 }, 100], blueGreen: { rollbackWindowSeconds: 60 } }, 'steps[1]', /blue-green rollout switches all traffic at once/],
      [{ steps: [100], blueGreen: { rollbackWindowSeconds: 0 } }, 'blueGreen.rollbackWindowSeconds', /at least 1/],
      [{ steps: [100], blueGreen: { window: 60 } }, 'blueGreen.window', /unknown field/],
    ];
    for (const [extra, path, message] of cases) {
      const res = await start(request(ns, extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors, JSON.stringify(extra)).toContainEqual(expect.objectContaining({ path, message: expect.stringMatching(message) }));
    }
    expect(await rolloutCount()).toBe(before);
  });

  it('is a 409 when the route cannot take the step (it mirrors already, its match tests the same header), nothing stored', async () => {
    const ns = `sk-409-${crypto.randomUUID().slice(0, 8)}`;
    const mirrored = mesh(ns).replace('  - name: primary\n', `  - name: primary\n    match: [{headers: {x-canary: {exact: "no"}}}]\n    mirror: {host: ${host(ns)}, subset: v3}\n`);
    expect((await apply(mirrored)).status).toBe(201);
    const before = await rolloutCount();
    const mirror = await start(request(ns, { steps: [{ mirror: 10 }, 100] }));
    expect(mirror.status).toBe(409);
    expect(mirror.body.errors).toContainEqual({ path: 'steps[0].mirror', message: expect.stringContaining('mirrors already') });
    const clash = await start(request(ns, { steps: [{ match: [{ headers: { 'x-canary': { exact: 'yes' } } }] }, 100] }));
    expect(clash.status).toBe(409);
    expect(clash.body.errors).toContainEqual({ path: 'steps[0].match', message: expect.stringContaining('already tests x-canary') });
    expect(await rolloutCount()).toBe(before);
  });
});

describe('a mirror step', () => {
  it('copies the share to the candidate while all traffic stays on stable, then the weight steps take the mirror away', async () => {
    const ns = await setUp('sk-mirror');
    const created = await start(request(ns, { steps: [{ mirror: 50 }, 50, 100] }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ steps: [0, 50, 100], weight: 0, stepKinds: [{ kind: 'mirror', percentage: 50 }, { kind: 'weight', weight: 50 }, { kind: 'weight', weight: 100 }] });
    // An HTTP host: no warning about proxyless gRPC clients.
    expect(created.headers.get('warning')).toBeNull();
    const id = created.body.id;
    const [primary] = await httpAt(ns, created.body.history[0].revision);
    expect(primary).toMatchObject({ name: 'primary', route: [{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }], mirror: { host: host(ns), subset: 'v2' }, mirrorPercentage: { value: 50 } });

    // What Envoy gets: the stable cluster routed, the candidate's mirrored at 50%.
    const [route] = await envoyRoutes(ns);
    expect(route.route.cluster).toBe(`outbound|9080|v1|${host(ns)}`);
    expect(route.route.request_mirror_policies).toEqual([{ cluster: `outbound|9080|v2|${host(ns)}`, runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } } }]);

    let r = await converge(id, 'mirror-1');
    expect(r).toMatchObject({ currentStep: 1, weight: 50 });
    const [shifted] = await httpAt(ns, r.history[1].revision);
    expect(shifted).not.toHaveProperty('mirror');
    expect(shifted).not.toHaveProperty('mirrorPercentage');
    expect(shifted.route.map((d: Json) => [d.destination.subset, d.weight])).toEqual([['v1', 50], ['v2', 50]]);
    expect((await envoyRoutes(ns))[0].route).not.toHaveProperty('request_mirror_policies');

    r = await converge(id, 'mirror-1');
    r = await converge(id, 'mirror-1');
    expect(r.state).toBe('succeeded');
  });

  it('warns that proxyless gRPC clients do not mirror when the host has a GRPC port', async () => {
    const ns = `sk-grpc-${crypto.randomUUID().slice(0, 8)}`;
    expect((await apply(mesh(ns).replace('{number: 9080, name: http, protocol: HTTP}', '{number: 9080, name: grpc, protocol: GRPC}'))).status).toBe(201);
    const created = await start(request(ns, { steps: [{ mirror: 20 }, 100] }));
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toMatch(/proxyless gRPC clients do not mirror/);
  });
});

describe('an A/B (match) step', () => {
  const ab = { match: [{ headers: { 'x-canary': { exact: 'yes' } } }, { cookie: { name: 'canary', value: 'always' } }] };

  it('sends only matching requests to the candidate through a route before the rollout\'s; the next step takes it away', async () => {
    const ns = await setUp('sk-ab');
    const created = await start(request(ns, { steps: [ab, 100] }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const http = await httpAt(ns, created.body.history[0].revision);
    expect(http.map((h) => h.name)).toEqual([`xdsflare-rollout-${id}-ab`, 'primary']);
    expect(http[0]).toEqual({
      name: `xdsflare-rollout-${id}-ab`,
      match: [{ headers: { 'x-canary': { exact: 'yes' } } }, { headers: { cookie: { regex: '^(.*?;\\s*)?canary=always(;.*)?$' } } }],
      route: [{ destination: { host: host(ns), subset: 'v2' }, weight: 100 }],
    });
    expect(http[1]!.route).toEqual([{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }]);
    const routes = await envoyRoutes(ns);
    expect(routes.map((x) => [x.match.headers?.map((h: Json) => h.name) ?? [], x.route.cluster])).toEqual([
      [['x-canary'], `outbound|9080|v2|${host(ns)}`],
      [['cookie'], `outbound|9080|v2|${host(ns)}`],
      [[], `outbound|9080|v1|${host(ns)}`],
    ]);
    // The route the rollout drives is its own, not the A/B one: the share it shows is 0 (the candidate gets matching requests only).
    expect((await read(id)).routeNow).toMatchObject({ candidateWeight: 0, matches: true });

    const r = await converge(id, 'ab-1');
    expect(r).toMatchObject({ currentStep: 1, weight: 100 });
    const after = await httpAt(ns, r.history[1].revision);
    expect(after.map((h) => h.name)).toEqual(['primary']);
    expect(after[0].route).toEqual([{ destination: { host: host(ns), subset: 'v2' }, weight: 100 }]);
  });

  it('keeps the route\'s own matches (each ANDed with the A/B entry), finds an indexed route past the A/B route, and an abort takes the A/B route away', async () => {
    const ns = `sk-ab-idx-${crypto.randomUUID().slice(0, 8)}`;
    // An unnamed route, referenced as #0, with a match of its own.
    const own = mesh(ns).replace('  - name: primary\n', '  - match: [{uri: {prefix: /api}}, {uri: {prefix: /v1}}]\n');
    expect((await apply(own)).status).toBe(201);
    const created = await start(request(ns, { route: '#0', steps: [{ match: [{ headers: { 'x-canary': { prefix: 'y' } } }] }, { match: [{ headers: { 'x-canary': { exact: 'all' } } }] }, 100] }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const http = await httpAt(ns, created.body.history[0].revision);
    expect(http[0].match).toEqual([
      { uri: { prefix: '/api' }, headers: { 'x-canary': { prefix: 'y' } } },
      { uri: { prefix: '/v1' }, headers: { 'x-canary': { prefix: 'y' } } },
    ]);
    // Step 2 (another A/B step) replaces the A/B route, and `#0` still names the rollout's own route.
    const r = await converge(id, 'ab-idx');
    const http2 = await httpAt(ns, r.history[1].revision);
    expect(http2).toHaveLength(2);
    expect(http2[0].match.map((m: Json) => m.headers)).toEqual([{ 'x-canary': { exact: 'all' } }, { 'x-canary': { exact: 'all' } }]);
    expect(http2[1]!.route).toEqual([{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }]);

    const aborted = await act(id, 'abort', { reason: 'enough' });
    expect(aborted.status).toBe(200);
    const back = await httpAt(ns, aborted.body.abort.rollbackRevision);
    expect(back).toHaveLength(1);
    expect(back[0]).toEqual({ match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v1' } }], route: [{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }] });
  });
});

describe('blue-green', () => {
  const PROM = 'http://prometheus.test:9090';
  let value = '99.9';
  beforeEach(() => {
    const real = globalThis.fetch;
    // The Prometheus HTTP API as a double: workerd has no Prometheus to reach (see rollouts-analysis.test.ts).
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.origin !== PROM) return real(input, init);
      return Response.json({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] } });
    });
  });
  afterEach(() => vi.restoreAllMocks());

  const analysed = (ns: string, window: number, extra: Json = {}) =>
    request(ns, {
      stable: { host: host(ns), subset: 'v1', port: { number: 9080 } },
      candidate: { host: host(ns), subset: 'v2', port: { number: 9080 } },
      steps: [{ match: [{ headers: { 'x-canary': { exact: 'yes' } } }] }, 100],
      blueGreen: { rollbackWindowSeconds: window },
      analysis: { provider: { url: PROM }, metrics: [{ name: 'success', template: 'envoy-success-rate', thresholdRange: { min: 99 }, intervalSeconds: 1 }] },
      ...extra,
    });

  /** Runs the alarm until `done` (measurements and the window need real time to pass). */
  async function driveUntil(id: number, done: (r: Json) => boolean, ms = 15_000): Promise<Json> {
    const until = Date.now() + ms;
    for (;;) {
      await runAlarm(id);
      const r = await read(id);
      if (done(r) || Date.now() > until) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  it('switches all at once after the A/B step passed analysis, and succeeds only once its rollback window ended', async () => {
    const ns = await setUp('sk-bg-ok');
    value = '99.9';
    const created = await start(analysed(ns, 2));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ steps: [0, 100], blueGreen: { rollbackWindowSeconds: 2 } });
    const id = created.body.id;
    await report([{ node: 'bg-ok', revision: created.body.history[0].revision }]);
    let r = await driveUntil(id, (x) => x.currentStep === 1);
    expect(r.history[0]).toMatchObject({ outcome: 'converged', analysis: 'passed' });
    await report([{ node: 'bg-ok', revision: r.history[1].revision }]);
    r = await driveUntil(id, (x) => x.history[1].outcome === 'converged');
    // Converged, in its window: not done yet.
    expect(r.state).toBe('progressing');
    expect(Date.parse(r.history[1].windowEndsAt)).toBeGreaterThan(Date.parse(r.history[1].convergedAt));
    r = await driveUntil(id, (x) => x.state !== 'progressing');
    expect(r.state).toBe('succeeded');
    expect(r.history[1].analysis).toBe('passed');
    // Measured during the window, after the switch converged.
    expect(r.analysis.measurements.filter((m: Json) => m.step === 1).length).toBeGreaterThanOrEqual(1);
    expect(Date.parse(r.finishedAt)).toBeGreaterThanOrEqual(Date.parse(r.history[1].windowEndsAt));
  }, 30_000);

  it('rolls back when a metric fails within the window', async () => {
    const ns = await setUp('sk-bg-bad');
    value = '99.9';
    const created = await start(analysed(ns, 600));
    const id = created.body.id;
    await report([{ node: 'bg-bad', revision: created.body.history[0].revision }]);
    let r = await driveUntil(id, (x) => x.currentStep === 1);
    await report([{ node: 'bg-bad', revision: r.history[1].revision }]);
    r = await driveUntil(id, (x) => x.history[1].outcome === 'converged');
    expect(r.state).toBe('progressing');
    value = '80';
    r = await driveUntil(id, (x) => x.state !== 'progressing');
    expect(r).toMatchObject({ state: 'aborted', weight: 0, abort: { reason: 'analysis', measurements: [expect.objectContaining({ step: 1, value: 80, verdict: 'failed' })] } });
    const back = await httpAt(ns, r.abort.rollbackRevision);
    expect(back.map((h) => [h.name, h.route])).toEqual([['primary', [{ destination: { host: host(ns), subset: 'v1', port: { number: 9080 } }, weight: 100 }]]]);
  }, 30_000);

  it('rolls back when a proxy NACKs the switch within the window (without analysis too)', async () => {
    const ns = await setUp('sk-bg-nack');
    const created = await start(request(ns, { steps: [100], blueGreen: { rollbackWindowSeconds: 600 } }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const switched = created.body.history[0].revision;
    await report([{ node: 'bg-nack-1', revision: switched }]);
    await runAlarm(id);
    let r = await read(id);
    expect(r).toMatchObject({ state: 'progressing', history: [{ outcome: 'converged', windowEndsAt: expect.any(String) }] });
    // A proxy that connects later rejects the switch.
    await report([{ node: 'bg-nack-1', revision: switched }, { node: 'bg-nack-2', revision: switched, nack: 'cluster outbound|9080|v2|… rejected' }]);
    await runAlarm(id);
    r = await read(id);
    expect(r).toMatchObject({ state: 'aborted', abort: { reason: 'rejected', message: expect.stringContaining('within its rollback window'), rejections: [expect.objectContaining({ node_id: 'bg-nack-2' })] } });
    expect((await httpAt(ns, r.abort.rollbackRevision))[0].route).toEqual([{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }]);
  });
});

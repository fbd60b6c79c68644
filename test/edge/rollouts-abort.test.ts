import { env, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RolloutDriver } from '../../functions/rollouts/driver';
import { sweepRollouts } from '../../functions/rollouts/sweep';
import { RESOURCE_TYPES } from '../../xds';
import { apply, callJson } from './helpers';
import { act, driver, host, mesh, read, report, request, revisionsOf, routeAt, runAlarm, setUp, start, weightsAt } from './rollouts-support';

type Json = Record<string, any>;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

/** Runs the driver's alarm handler now, whether or not its alarm is due (it fires by itself at short deadlines). */
const tick = (id: number) => runInDurableObject(driver(id), (instance: RolloutDriver) => instance.alarm());

/** The candidate's config: a load-balancer change to the existing DestinationRule and a new ServiceEntry. */
const candidateManifest = (ns: string) => [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: ns },
    spec: { host: host(ns), trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } }, subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })) },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'ratings', namespace: ns },
    spec: { hosts: [`ratings.${ns}.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.1.1' }] },
  },
];

describe('a rollout aborts and rolls back', () => {
  it('by itself when a proxy NACKs a step: the route back on stable and the manifest objects as at baseRevision, in one revision, with the reason', async () => {
    const ns = await setUp('nack');
    const created = await start(request(ns, { manifest: candidateManifest(ns) }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const step0 = created.body.history[0].revision;
    expect(created.body.manifest).toEqual([
      { kind: 'DestinationRule', namespace: ns, name: 'reviews' },
      { kind: 'ServiceEntry', namespace: ns, name: 'ratings' },
    ]);
    // The manifest is committed with step 0, in the same revision.
    const changes = (await callJson('GET', `/api/v1/revisions/${step0}`)).body.changes.map((c: Json) => `${c.op} ${c.kind}/${c.name}`).sort();
    expect(changes).toEqual(['created ServiceEntry/ratings', 'updated DestinationRule/reviews', 'updated VirtualService/reviews']);

    await report([
      { node: 'nack-ok', revision: step0 },
      { node: 'nack-bad', revision: step0, nack: 'Error adding/updating route config 9080: duplicate virtual host' },
    ]);
    expect(await runAlarm(id)).toBe(true);
    const r = await read(id);
    expect(r).toMatchObject({ state: 'aborted', weight: 0, finishedAt: expect.any(String) });
    expect(r.history[0].outcome).toBe('rejected');
    expect(r.abort).toEqual({
      reason: 'rejected',
      message: expect.stringContaining('was rejected by 1 proxy: nack-bad Error adding/updating route config 9080'),
      revision: step0,
      rejections: [{ node_id: 'nack-bad', type: RESOURCE_TYPES.routes, message: 'Error adding/updating route config 9080: duplicate virtual host', inferred: false }],
      rollbackRevision: expect.any(Number),
      at: expect.any(String),
    });
    const rollback = r.abort.rollbackRevision;
    expect(rollback).toBeGreaterThan(step0);
    expect(await weightsAt(ns, rollback)).toEqual({ v1: 100 });
    expect((await revisionsOf(id)).map((x) => [x.id, x.step])).toEqual([
      [step0, '0'],
      [rollback, 'rollback'],
    ]);

    // Restored: the DestinationRule as it was, the new ServiceEntry gone.
    const dr = await callJson('GET', `/api/v1/namespaces/${ns}/destinationrules/reviews`);
    expect(dr.body.spec).not.toHaveProperty('trafficPolicy');
    expect(dr.body.metadata.resourceVersion).toBe(String(rollback));
    expect((await callJson('GET', `/api/v1/namespaces/${ns}/serviceentries/ratings`)).status).toBe(404);
    expect(await runAlarm(id)).toBe(false);
  });

  it('by itself when a step does not converge within timeoutSeconds', async () => {
    const ns = await setUp('timeout');
    const { body } = await start(request(ns, { timeoutSeconds: 1 }));
    const id = body.id;
    // A proxy that keeps its old config and says nothing more.
    await report([{ node: 'silent-1', revision: body.history[0].revision - 1 }]);
    await tick(id);
    expect((await read(id)).state).toBe('progressing');
    const deadline = Date.parse((await read(id)).history[0].deadline);
    await scheduler.wait(Math.max(0, deadline - Date.now()) + 50);
    await tick(id);
    const r = await read(id);
    expect(r.state).toBe('aborted');
    expect(r.history[0].outcome).toBe('timeout');
    expect(r.abort).toMatchObject({ reason: 'timeout', message: expect.stringMatching(/did not converge within 1s: 1 of 1 live proxies pending \(silent-1\)/), revision: body.history[0].revision, rejections: [] });
    expect(await weightsAt(ns, r.abort.rollbackRevision)).toEqual({ v1: 100 });
  });

  it('when asked, recording the reason and who committed the rollback', async () => {
    const ns = await setUp('manual');
    expect((await callJson('PUT', `/api/v1/webhooks/aborts-${ns}`, { body: { url: 'http://127.0.0.1:9/hook', events: ['rollout.aborted'] } })).status).toBe(201);
    const { body } = await start(request(ns));
    const id = body.id;
    await runAlarm(id);
    expect((await read(id)).weight).toBe(50);
    const token = (await callJson('POST', '/api/v1/tokens', { body: { name: `releaser-${ns}`, scopes: ['config:write', 'config:read'] } })).body.token;
    const res = await callJson('POST', `/api/v1/rollouts/${id}/abort`, { body: { reason: 'error rate above budget' }, token, headers: { 'x-ci-run-id': 'run-7' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'aborted', weight: 0, abort: { reason: 'manual', message: 'error rate above budget', revision: body.history[0].revision + 1, rejections: [] } });
    expect(res.body.history[1].outcome).toBe('skipped');
    const rollback = (await revisionsOf(id)).at(-1)!;
    expect(rollback).toMatchObject({ id: res.body.abort.rollbackRevision, step: 'rollback', author: `releaser-${ns}`, source: { ciRunId: 'run-7', rollout: String(id) } });
    expect(await weightsAt(ns, rollback.id)).toEqual({ v1: 100 });
    expect(await runAlarm(id)).toBe(false);
    const delivery = await env.DB.prepare('select event, payload from deliveries where webhook = ?').bind(`aborts-${ns}`).first<{ event: string; payload: string }>();
    expect(delivery!.event).toBe('rollout.aborted');
    expect(JSON.parse(delivery!.payload).data).toMatchObject({ rollout: id, reason: 'manual', message: 'error rate above budget', rollbackRevision: rollback.id });
    await env.DB.prepare('delete from webhooks where name = ?').bind(`aborts-${ns}`).run();
  });

  it('with reason conflict when the route disappeared mid-rollout', async () => {
    const ns = await setUp('gone');
    const { body } = await start(request(ns));
    const id = body.id;
    // Someone re-applies the VirtualService with the route renamed (forced: a plain write is a 409, rollouts-route-owner.test.ts).
    expect((await apply(mesh(ns).replace('name: primary', 'name: main'), '?force=true')).status).toBe(201);
    await runAlarm(id);
    const r = await read(id);
    expect(r.state).toBe('aborted');
    expect(r.abort).toMatchObject({ reason: 'conflict', message: expect.stringContaining('no http route named "primary"'), rollbackRevision: null });
    expect((await revisionsOf(id)).map((x) => x.step)).toEqual(['0']);
  });
});

describe('a VirtualService edited by someone else mid-rollout', () => {
  it('keeps their edit: the next step changes only the weights of the rollout route', async () => {
    const ns = await setUp('edited');
    const { body } = await start(request(ns));
    const id = body.id;
    // Retries on the route and a second route, added while step 0 is converging (stable and candidate kept at 90/10).
    const edited = mesh(ns, `[{destination: {host: ${host(ns)}, subset: v1}, weight: 90}, {destination: {host: ${host(ns)}, subset: v2}, weight: 10}]\n    retries: {attempts: 3}\n  - name: fallback\n    route: [{destination: {host: ${host(ns)}, subset: v3}}]`);
    expect((await apply(edited)).status).toBe(201);
    await runAlarm(id);
    const r = await read(id);
    const step1 = r.history[1].revision;
    expect(await weightsAt(ns, step1)).toEqual({ v1: 50, v2: 50 });
    const vs = (await callJson('GET', `/api/v1/namespaces/${ns}/virtualservices/reviews`)).body;
    expect(vs.spec.http.map((h: Json) => h.name)).toEqual(['primary', 'fallback']);
    expect(vs.spec.http[0].retries).toEqual({ attempts: 3 });
    expect(vs.spec.http[1].route).toEqual([{ destination: { host: host(ns), subset: 'v3' } }]);
    expect(await routeAt(ns, step1)).toHaveLength(2);
  });
});

describe('the safety sweep', () => {
  it('re-arms a progressing rollout whose alarm was lost, and leaves the others alone', async () => {
    const ns = await setUp('sweep');
    const { body } = await start(request(ns));
    const id = body.id;
    await runInDurableObject(driver(id), (_: RolloutDriver, state) => state.storage.deleteAlarm());
    await env.DB.prepare('update rollouts set next_check_at = ? where id = ?').bind(new Date(Date.now() - 60_000).toISOString(), id).run();
    expect(await sweepRollouts(env)).toContain(id);
    expect(await runInDurableObject(driver(id), (_: RolloutDriver, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await sweepRollouts(env)).not.toContain(id);
    // The re-armed alarm drives the rollout on.
    expect(await runAlarm(id)).toBe(true);
    expect((await read(id)).currentStep).toBe(1);
  });
});

describe('actions while paused', () => {
  it('abort rolls back a paused rollout', async () => {
    const ns = await setUp('pausedabort');
    const { body } = await start(request(ns));
    expect((await act(body.id, 'pause')).body.state).toBe('paused');
    // A malformed reason is refused, naming it; an empty JSON body is no body.
    const bad = await callJson('POST', `/api/v1/rollouts/${body.id}/abort`, { body: { reason: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('reason');
    expect((await read(body.id)).state).toBe('paused');
    const res = await callJson('POST', `/api/v1/rollouts/${body.id}/abort`, { headers: { 'content-type': 'application/json', 'content-length': '0' } });
    expect(res.body).toMatchObject({ state: 'aborted', abort: { reason: 'manual', message: 'aborted by admin' } });
    expect(await weightsAt(ns, res.body.abort.rollbackRevision)).toEqual({ v1: 100 });
  });
});

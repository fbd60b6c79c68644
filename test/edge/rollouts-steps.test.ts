import { env, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RolloutDriver } from '../../functions/rollouts/driver';
import { apply, callJson } from './helpers';
import { act, driver, mesh, read, report, request, revisionsOf, runAlarm, setUp, start, weightsAt } from './rollouts-support';

beforeEach(async () => {
  // Revision status judges every proxy there is: each case starts from none.
  await env.DB.prepare('delete from proxies').run();
});

describe('a rollout steps through its weights', () => {
  it('commits one revision per step with only the route weights changed, each after the last converged, then succeeds', async () => {
    const ns = await setUp('happy');
    const created = await start(request(ns), { 'x-ci-run-id': 'run-42' });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    expect(created.headers.get('location')).toBe(`/api/v1/rollouts/${id}`);
    const step0 = created.body.history[0].revision;
    expect(created.body).toMatchObject({ state: 'progressing', currentStep: 0, weight: 10, baseRevision: step0 - 1, route: 'primary', author: 'admin', abort: null, finishedAt: null });
    expect(created.body.history).toEqual([{ step: 0, weight: 10, revision: step0, startedAt: expect.any(String), convergedAt: null, deadline: expect.any(String), outcome: 'pending' }]);
    expect(await weightsAt(ns, step0)).toEqual({ v1: 90, v2: 10 });

    // A proxy still on step 0's revision: the driver waits, commits nothing.
    await report([{ node: 'happy-1', revision: step0 - 1 }]);
    expect(await runAlarm(id)).toBe(true);
    expect((await read(id)).history[0].outcome).toBe('pending');
    expect(await revisionsOf(id)).toHaveLength(1);

    // Converged on step 0: step 1 is committed at 50/50.
    await report([{ node: 'happy-1', revision: step0 }]);
    await runAlarm(id);
    let r = await read(id);
    expect(r.history[0]).toMatchObject({ outcome: 'converged', convergedAt: expect.any(String) });
    expect(r.history[0]).not.toHaveProperty('noProxies');
    expect(r).toMatchObject({ currentStep: 1, weight: 50, state: 'progressing' });
    const step1 = r.history[1].revision;
    expect(step1).toBeGreaterThan(step0);
    expect(await weightsAt(ns, step1)).toEqual({ v1: 50, v2: 50 });

    await report([{ node: 'happy-1', revision: step1 }]);
    await runAlarm(id);
    r = await read(id);
    const step2 = r.history[2].revision;
    expect(r).toMatchObject({ currentStep: 2, weight: 100 });
    // At 100 the route holds the candidate alone.
    expect(await weightsAt(ns, step2)).toEqual({ v2: 100 });

    await report([{ node: 'happy-1', revision: step2 }]);
    await runAlarm(id);
    r = await read(id);
    expect(r).toMatchObject({ state: 'succeeded', currentStep: 2, weight: 100, finishedAt: expect.any(String) });
    expect(r.history.map((h: any) => h.outcome)).toEqual(['converged', 'converged', 'converged']);
    // Finished: no alarm left.
    expect(await runAlarm(id)).toBe(false);

    const revisions = await revisionsOf(id);
    expect(revisions.map((x) => [x.id, x.step])).toEqual([
      [step0, '0'],
      [step1, '1'],
      [step2, '2'],
    ]);
    for (const rev of revisions) {
      expect(rev).toMatchObject({ author: 'admin', source: { ciRunId: 'run-42', rollout: String(id) } });
      const changes = (await callJson('GET', `/api/v1/revisions/${rev.id}`)).body.changes;
      expect(changes).toEqual([{ op: 'updated', kind: 'VirtualService', namespace: ns, name: 'reviews' }]);
    }
  });

  it('treats a revision with no proxies as converged and records it', async () => {
    const ns = await setUp('noproxy');
    const { body } = await start(request(ns, { steps: [50, 100] }));
    await runAlarm(body.id);
    await runAlarm(body.id);
    const r = await read(body.id);
    expect(r.state).toBe('succeeded');
    expect(r.history.map((h: any) => h.noProxies)).toEqual([true, true]);
  });

  it('waits for no stale proxy, as revision status does: the step converges with no live proxy, naming the stale one', async () => {
    const ns = await setUp('allstale');
    const { body } = await start(request(ns, { steps: [50, 100], timeoutSeconds: 1 }));
    // The only proxy was last heard 2 minutes ago (its bridge cut off from the edge, say): stale, not gone.
    await report([{ node: 'allstale-1', revision: body.history[0].revision - 1, lastSeen: new Date(Date.now() - 120_000).toISOString() }]);
    const status = (await callJson('GET', `/api/v1/revisions/${body.history[0].revision}/status`)).body;
    expect(status).toMatchObject({ phase: 'no-proxies', counts: { stale: 1 } });
    await runAlarm(body.id);
    await runAlarm(body.id);
    const r = await read(body.id);
    expect(r.state).toBe('succeeded');
    expect(r.history[0]).toMatchObject({ outcome: 'converged', noProxies: true, note: status.note });
    expect(r.history[0].note).toMatch(/allstale-1 \(via bridge bridge-test, last seen 1\d\ds ago\).*cut off from the edge/);
  });

  it('names pending proxies, 1-based steps and no bridge when a step times out on REST pollers', async () => {
    const ns = await setUp('timeout');
    const { body } = await start(request(ns, { steps: [50, 100], timeoutSeconds: 1 }));
    await env.DB.prepare("insert into proxies (node_id, view, transport, versions, last_seen) values ('rest-1', 'envoy|mesh', 'rest', '{}', ?)").bind(new Date().toISOString()).run();
    await new Promise((r) => setTimeout(r, 1100));
    await runAlarm(body.id);
    const r = await read(body.id);
    expect(r.abort.message).toBe(`revision ${body.history[0].revision} (step 1 of 2, 50% to the candidate) did not converge within 1s: 1 of 1 live proxies pending (rest-1)`);
  });

  it('waits pauseSeconds after a step converged before the next', async () => {
    const ns = await setUp('pause');
    const { body } = await start(request(ns, { pauseSeconds: 3600 }));
    await runAlarm(body.id);
    let r = await read(body.id);
    expect(r.history[0].outcome).toBe('converged');
    expect(r.history).toHaveLength(1);
    // The alarm is set for the end of the pause; running it early commits nothing.
    const alarm = await runInDurableObject(driver(body.id), (_: RolloutDriver, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(Date.parse(r.history[0].convergedAt) + 3600_000);
    await runAlarm(body.id);
    r = await read(body.id);
    expect(r.history).toHaveLength(1);
    expect(await revisionsOf(body.id)).toHaveLength(1);
  });

  it('does not commit a step twice when its alarm runs twice, at once or one after the other, or after a lost update', async () => {
    const ns = await setUp('twice');
    const { body } = await start(request(ns));
    const id = body.id;
    // Converged on step 0 only, so step 1 stays pending whoever looks.
    await report([{ node: 'twice-1', revision: body.history[0].revision }]);
    const tick = () => runInDurableObject(driver(id), (instance: RolloutDriver) => instance.alarm());
    // Twice at once inside the object (as an alarm and a retry or an action would overlap), then again.
    await runInDurableObject(driver(id), (instance: RolloutDriver) => Promise.all([instance.alarm(), instance.alarm()]));
    await tick();
    const steps = (r: any) => r.history.map((h: any) => [h.step, h.outcome]);
    let r = await read(id);
    expect((await revisionsOf(id)).map((x) => x.step)).toEqual(['0', '1']);
    expect(steps(r)).toEqual([
      [0, 'converged'],
      [1, 'pending'],
    ]);

    // As if the driver died after committing step 1 but before recording it: it finds the revision, commits nothing.
    const step1 = r.history[1].revision;
    const lost = { ...r, history: r.history.slice(0, 1), currentStep: 0, weight: 10 };
    for (const k of ['id', 'state', 'createdAt', 'updatedAt']) delete lost[k];
    await env.DB.prepare('update rollouts set body = ? where id = ?').bind(JSON.stringify(lost), id).run();
    // Someone else commits meanwhile, so the head is no longer step 1's revision.
    expect((await apply(mesh(`${ns}-other`))).status).toBe(201);
    await tick();
    r = await read(id);
    expect((await revisionsOf(id)).map((x) => x.step)).toEqual(['0', '1']);
    expect(r.history[1]).toMatchObject({ step: 1, revision: step1, outcome: 'pending' });
  });

  it('serialises an action with a step running at the same time: a pause is never overwritten', async () => {
    const ns = await setUp('serial');
    const { body } = await start(request(ns));
    const id = body.id;
    const actor = { author: 'admin', source: {} };
    await runInDurableObject(driver(id), (instance: RolloutDriver) => Promise.all([instance.alarm(), instance.act(id, 'pause', actor)]));
    const r = await read(id);
    expect(r.state).toBe('paused');
    // The step the alarm committed before the pause is recorded.
    expect(r.history.map((h: any) => h.step)).toEqual([0, 1]);
    expect(await runAlarm(id)).toBe(false);
  });

  it('pause holds the current weight; resume carries on', async () => {
    const ns = await setUp('pauseresume');
    const { body } = await start(request(ns));
    const id = body.id;
    const paused = await act(id, 'pause');
    expect(paused.status).toBe(200);
    expect(paused.body.state).toBe('paused');
    // No alarm while paused, and a forced look changes nothing.
    expect(await runAlarm(id)).toBe(false);
    await runInDurableObject(driver(id), (instance: RolloutDriver) => instance.alarm());
    expect((await read(id)).history).toHaveLength(1);
    expect((await act(id, 'pause')).body.state).toBe('paused');

    const resumed = await act(id, 'resume');
    expect(resumed.body).toMatchObject({ state: 'progressing', currentStep: 0 });
    expect(await runAlarm(id)).toBe(true);
    const r = await read(id);
    expect(r).toMatchObject({ state: 'progressing', currentStep: 1, weight: 50 });
  });

  it('promote commits 100% at once, marks the steps in between skipped, and still waits for convergence', async () => {
    const ns = await setUp('promote');
    const { body } = await start(request(ns, { steps: [10, 25, 50, 100] }));
    const id = body.id;
    await report([{ node: 'promote-1', revision: body.history[0].revision - 1 }]);
    const promoted = await act(id, 'promote');
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ state: 'progressing', currentStep: 3, weight: 100 });
    expect(promoted.body.history.map((h: any) => [h.step, h.weight, h.outcome])).toEqual([
      [0, 10, 'skipped'],
      [1, 25, 'skipped'],
      [2, 50, 'skipped'],
      [3, 100, 'pending'],
    ]);
    const last = promoted.body.history[3].revision;
    expect(await weightsAt(ns, last)).toEqual({ v2: 100 });
    expect((await revisionsOf(id)).map((x) => x.step)).toEqual(['0', '3']);

    await runAlarm(id);
    expect((await read(id)).state).toBe('progressing');
    await report([{ node: 'promote-1', revision: last }]);
    await runAlarm(id);
    expect((await read(id)).state).toBe('succeeded');
  });

  it('tells webhooks: rollout.step when a step started and when it converged, then rollout.succeeded', async () => {
    const ns = await setUp('events');
    // A receiver nobody listens on: only the outbox is looked at here.
    expect((await callJson('PUT', `/api/v1/webhooks/rollouts-${ns}`, { body: { url: 'http://127.0.0.1:9/hook', events: ['rollout.step', 'rollout.succeeded', 'rollout.aborted'] } })).status).toBe(201);
    const { body } = await start(request(ns, { steps: [50, 100] }));
    await runAlarm(body.id);
    await runAlarm(body.id);
    const { results } = await env.DB.prepare('select payload from deliveries where webhook = ? order by rowid').bind(`rollouts-${ns}`).all<{ payload: string }>();
    const events = results.map((r) => JSON.parse(r.payload)).filter((e) => e.data.rollout === body.id);
    const [r0, r1] = (await read(body.id)).history.map((h: any) => h.revision);
    expect(events.map((e) => [e.type, e.data.phase, e.data.step, e.data.weight, e.data.revision])).toEqual([
      ['rollout.step', 'started', 0, 50, r0],
      ['rollout.step', 'converged', 0, 50, r0],
      ['rollout.step', 'started', 1, 100, r1],
      ['rollout.step', 'converged', 1, 100, r1],
      ['rollout.succeeded', undefined, undefined, undefined, r1],
    ]);
    expect(events[0].data).toMatchObject({ name: 'reviews-v2', virtualService: { namespace: ns, name: 'reviews' }, route: 'primary' });
    expect(events[1].data.noProxies).toBe(true);
    await env.DB.prepare('delete from webhooks where name = ?').bind(`rollouts-${ns}`).run();
  });

  it('refuses actions on a finished rollout with 409, and 404s an unknown one', async () => {
    const ns = await setUp('finished');
    const { body } = await start(request(ns, { steps: [100] }));
    await runAlarm(body.id);
    expect((await read(body.id)).state).toBe('succeeded');
    for (const action of ['pause', 'resume', 'promote', 'abort']) {
      const res = await act(body.id, action);
      expect(res.status, action).toBe(409);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await act(999_999, 'pause')).status).toBe(404);
  });
});

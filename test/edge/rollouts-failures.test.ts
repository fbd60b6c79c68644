import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RolloutDriver } from '../../functions/rollouts/driver';
import { callJson } from './helpers';
import { act, driver, read, report, request, revisionsOf, runAlarm, setUp, start, weightsAt } from './rollouts-support';

const TRIGGER = 'rollouts_failures_test';

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});
afterEach(async () => {
  await env.DB.prepare(`drop trigger if exists ${TRIGGER}`).run();
});

/** Runs the driver's alarm handler now, whether or not its alarm is due. */
const tick = (id: number) => runInDurableObject(driver(id), (instance: RolloutDriver) => instance.alarm());
const alarmOf = (id: number) => runInDurableObject(driver(id), (_: RolloutDriver, state) => state.storage.getAlarm());

/**
 * Makes every commit of rollout `id`'s `step` ("1", "rollback"...) fail inside D1: as a lost write race
 * (a UNIQUE violation on the revision id, what a concurrent commit causes), or with some other error.
 */
async function failCommits(id: number, step: string, as: 'race' | 'error'): Promise<void> {
  const body = as === 'race' ? "SELECT RAISE(ABORT, 'UNIQUE constraint failed: revisions.id')" : "SELECT json('not json')";
  await env.DB.prepare(
    `create trigger ${TRIGGER} before insert on revisions
     when json_extract(new.source, '$.rollout') = '${id}' and json_extract(new.source, '$.step') = '${step}'
     begin ${body}; end`,
  ).run();
}
const healCommits = () => env.DB.prepare(`drop trigger if exists ${TRIGGER}`).run();

describe('timeouts across pause and promote', () => {
  it('promote of a paused rollout at its last step gives the step a fresh timeout, as resume does', async () => {
    const ns = await setUp('promotelast');
    const { body } = await start(request(ns, { steps: [50, 100], timeoutSeconds: 60 }));
    const id = body.id;
    await report([{ node: 'promotelast-1', revision: body.history[0].revision }]);
    await runAlarm(id);
    expect(await read(id)).toMatchObject({ currentStep: 1, weight: 100 });
    expect((await act(id, 'pause')).body.state).toBe('paused');
    // Paused for longer than the step's timeout: its deadline passed meanwhile.
    await env.DB.prepare("update rollouts set body = json_set(body, '$.history[1].deadline', ?) where id = ?").bind(new Date(Date.now() - 1000).toISOString(), id).run();

    const promoted = await act(id, 'promote');
    expect(promoted.status).toBe(200);
    expect(Date.parse(promoted.body.history[1].deadline)).toBeGreaterThan(Date.now() + 50_000);
    await tick(id);
    expect(await read(id)).toMatchObject({ state: 'progressing', abort: null });
  });
});

describe('a commit that keeps losing write races', () => {
  it('is retried by the driver later; the rollout does not abort', async () => {
    const ns = await setUp('race');
    const { body } = await start(request(ns));
    const id = body.id;
    await failCommits(id, '1', 'race');
    // Step 0 converges (no proxies); step 1 loses the race on every attempt.
    await tick(id);
    let r = await read(id);
    expect(r).toMatchObject({ state: 'progressing', abort: null, currentStep: 0 });
    expect(await alarmOf(id)).toBeLessThan(Date.now() + 60_000);

    await healCommits();
    await runAlarm(id);
    r = await read(id);
    expect(r).toMatchObject({ state: 'progressing', abort: null, currentStep: 1, weight: 50 });
    expect((await revisionsOf(id)).map((x) => x.step)).toEqual(['0', '1']);
  });

  it('is retried for a rollback too, which then restores the manifest as well as the route', async () => {
    const ns = await setUp('rbrace');
    const ratings = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ratings', namespace: ns }, spec: { hosts: [`ratings.${ns}.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.1.1' }] } };
    const { body } = await start(request(ns, { manifest: [ratings] }));
    const id = body.id;
    await failCommits(id, 'rollback', 'race');
    // Rejected by a proxy: the driver aborts, and the rollback loses every race.
    await report([{ node: 'rbrace-1', revision: body.history[0].revision, nack: 'bad route' }]);
    await tick(id);
    let r = await read(id);
    // Not finished with traffic still on the candidate: still aborting, the driver comes back soon.
    expect(r.state).toBe('progressing');
    expect(r.abort).toMatchObject({ reason: 'rejected', rollbackRevision: null });
    expect(await alarmOf(id)).toBeLessThan(Date.now() + 60_000);

    await healCommits();
    await runAlarm(id);
    r = await read(id);
    expect(r).toMatchObject({ state: 'aborted', weight: 0, abort: { reason: 'rejected', rollbackRevision: expect.any(Number) } });
    expect(r.abort).not.toHaveProperty('rollbackError');
    expect(await weightsAt(ns, r.abort.rollbackRevision)).toEqual({ v1: 100 });
    expect((await callJson('GET', `/api/v1/namespaces/${ns}/serviceentries/ratings`)).status).toBe(404);
  });
});

describe('an action that fails half-way', () => {
  it('leaves the driver coming back soon to finish it, even when its alarm was set for the end of a long pause', async () => {
    const ns = await setUp('abortfail');
    const { body } = await start(request(ns, { pauseSeconds: 3600 }));
    const id = body.id;
    // No proxies: step 0 converges, and the next look is at the end of the hour's pause.
    await runAlarm(id);
    expect(await alarmOf(id)).toBeGreaterThan(Date.now() + 3_000_000);

    await failCommits(id, 'rollback', 'error');
    const res = await act(id, 'abort', { reason: 'error budget' });
    expect(res.status).toBe(500);
    expect((await read(id)).abort).toMatchObject({ reason: 'manual', message: 'error budget', rollbackRevision: null });
    expect(await alarmOf(id)).toBeLessThan(Date.now() + 60_000);

    await healCommits();
    await runAlarm(id);
    const r = await read(id);
    expect(r).toMatchObject({ state: 'aborted', weight: 0, abort: { reason: 'manual', message: 'error budget', rollbackRevision: expect.any(Number) } });
    expect(await weightsAt(ns, r.abort.rollbackRevision)).toEqual({ v1: 100 });
  });
});

describe('an abort with many rejections', () => {
  it('records the first 20, each message clipped, so the rollout row stays far below D1 row limits (2 MB); the message counts them all', async () => {
    const ns = await setUp('manynacks');
    const { body } = await start(request(ns));
    const id = body.id;
    const long = `Error adding/updating cluster(s) outbound|9080|v2|${ns}: ${'x'.repeat(4000)}`;
    await report(Array.from({ length: 30 }, (_, i) => ({ node: `manynacks-${i}`, revision: body.history[0].revision, nack: long })));
    await tick(id);
    const r = await read(id);
    expect(r.state).toBe('aborted');
    expect(r.abort.message).toContain('was rejected by 30 proxies');
    expect(r.abort.rejections).toHaveLength(20);
    for (const x of r.abort.rejections) expect(x.message.length).toBeLessThanOrEqual(1024);
    expect(r.abort.rejections[0].message.startsWith('Error adding/updating cluster(s)')).toBe(true);
  });
});

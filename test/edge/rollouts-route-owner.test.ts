import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { rolloutRouteOwner } from '../../functions/domain/config/route-owner';
import { objects } from '../../functions/domain/db/schema';
import { openDatabase } from '../../functions/domain/db/store';
import { apply, call, callJson, countRows } from './helpers';
import { act, host, mesh, read, request, runAlarm, setUp, start, weightsAt } from './rollouts-support';

// An active rollout owns its route's weights: a write that moves them (or deletes the VirtualService)
// is a 409 naming the rollout unless it says ?rollout=abort (the rollout ends in the write's revision)
// or ?force=true (committed with a warning, the rollout left running).

const split = (ns: string, v1: number, v2: number) => `[{destination: {host: ${host(ns)}, subset: v1}, weight: ${v1}}, {destination: {host: ${host(ns)}, subset: v2}, weight: ${v2}}]`;
const vsPath = (ns: string) => `/api/v1/namespaces/${ns}/virtualservices/reviews`;
const head = async () => (await env.DB.prepare('select max(id) as id from revisions').first<{ id: number }>())!.id;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

describe('a write that moves the route of an active rollout', () => {
  it('is a 409 naming the field and the rollout, stores nothing, and a dry run reports it as an error', async () => {
    const ns = await setUp('owner');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const id: number = body.id;
    const before = await head();
    const revisions = await countRows('revisions');

    const res = await apply(mesh(ns, split(ns, 90, 10)));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.detail).toContain(`this write changes the route of rollout ${id}`);
    expect(res.body.detail).toContain('?rollout=abort');
    expect(res.body.detail).toContain('?force=true');
    expect(res.body.errors).toEqual([
      { object: `VirtualService ${ns}/reviews`, path: 'spec.http[0].route', message: `rollout ${id} (progressing, step 1 of 3, candidate at 25%) drives route primary: this write puts the candidate at 10%, which the rollout's next step overwrites` },
    ]);
    expect(res.body.rollouts).toEqual([{ id, state: 'progressing', virtualService: { namespace: ns, name: 'reviews' }, route: 'primary', currentStep: 0, steps: [25, 50, 100], weight: 25 }]);
    expect(await head()).toBe(before);
    expect(await countRows('revisions')).toBe(revisions);
    expect(await weightsAt(ns, before)).toEqual({ v1: 75, v2: 25 });

    // PUT and merge PATCH of the VirtualService alone are refused the same way.
    const vs = (await callJson('GET', vsPath(ns))).body;
    vs.spec.http[0].route = [{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }];
    expect((await callJson('PUT', vsPath(ns), { body: vs })).status).toBe(409);
    const patch = { spec: { http: [{ name: 'primary', route: [{ destination: { host: host(ns), subset: 'v2' }, weight: 100 }] }] } };
    const patched = await callJson('PATCH', vsPath(ns), { body: patch, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(409);
    expect(patched.body.rollouts[0].id).toBe(id);

    const dry = await apply(mesh(ns, split(ns, 90, 10)), '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body.errors).toContainEqual({ object: `VirtualService ${ns}/reviews`, path: 'spec.http[0].route', message: expect.stringContaining(`rollout ${id} (progressing, step 1 of 3, candidate at 25%)`) });
    expect(dry.body.errors[0].message).toContain('a real write is refused (409) unless it says ?rollout=abort or ?force=true');
    expect(await head()).toBe(before);
    expect((await read(id)).state).toBe('progressing');
  });

  it('with ?force=true is committed with a warning, and routeNow tells the truth until the next step', async () => {
    const ns = await setUp('owner-force');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const id: number = body.id;
    expect((await read(id)).routeNow).toEqual({ candidateWeight: 25, revision: body.history[0].revision, matches: true });

    const res = await apply(mesh(ns, split(ns, 90, 10)), '?force=true');
    expect(res.status).toBe(201);
    const warning = res.body.warnings.find((w: { object?: string }) => w.object === `VirtualService ${ns}/reviews`);
    expect(warning).toEqual({
      object: `VirtualService ${ns}/reviews`,
      path: 'spec.http[0].route',
      message: `rollout ${id} (progressing, step 1 of 3, candidate at 25%) drives route primary: this write puts the candidate at 10%, which the rollout's next step overwrites; committed with ?force=true (to keep this split, abort the rollout: xdsflare rollout abort ${id})`,
    });
    expect(res.headers.get('warning')).toContain(`rollout ${id} (progressing`);
    expect(await read(id)).toMatchObject({ state: 'progressing', weight: 25, routeNow: { candidateWeight: 10, revision: res.body.revision, matches: false } });
  });

  it('with ?rollout=abort aborts the rollout in the write\'s own revision, the write\'s weights standing', async () => {
    const ns = await setUp('owner-abort');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const id: number = body.id;
    const hook = await callJson('PUT', `/api/v1/webhooks/owner-${ns}`, { body: { url: 'https://hooks.example.com/x', events: ['rollout.aborted'] }, contentType: 'application/json' });
    expect(hook.status).toBe(201);

    const res = await apply(mesh(ns, split(ns, 90, 10)), '?rollout=abort');
    expect(res.status).toBe(201);
    expect(res.body.warnings).toContainEqual(expect.objectContaining({ object: `VirtualService ${ns}/reviews`, message: expect.stringContaining(`rollout ${id} is aborted in this write's revision (?rollout=abort)`) }));
    const r = await read(id);
    expect(r).toMatchObject({ state: 'aborted', weight: 10, abort: { reason: 'manual', revision: res.body.revision, rollbackRevision: res.body.revision } });
    expect(r.abort.message).toBe(`aborted by admin's write with ?rollout=abort: revision ${res.body.revision} set the candidate at 10%, and nothing was rolled back`);
    expect(r.history.at(-1).outcome).toBe('skipped');
    expect(r.routeNow).toBeUndefined();
    // One commit: no rollback revision follows, even when the rollout's driver looks again.
    await runAlarm(id);
    expect(await head()).toBe(res.body.revision);
    expect(await weightsAt(ns, res.body.revision)).toEqual({ v1: 90, v2: 10 });
    const delivery = await env.DB.prepare("select payload from deliveries where webhook = ? and event = 'rollout.aborted'").bind(`owner-${ns}`).first<{ payload: string }>();
    expect(JSON.parse(delivery!.payload).data).toMatchObject({ rollout: id, reason: 'manual', revision: res.body.revision });
    // The route is free now: a plain write is no longer refused.
    expect((await apply(mesh(ns, split(ns, 50, 50)))).status).toBe(201);
    await callJson('DELETE', `/api/v1/webhooks/owner-${ns}`);
  });

  it('with ?rollout=abort that is refused for another reason leaves the rollout as it was (nothing half-applied)', async () => {
    const ns = await setUp('owner-atomic');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const before = await head();
    // A subset the DestinationRule does not declare: inconsistent, so the write is refused whole.
    const res = await apply(mesh(ns, `[{destination: {host: ${host(ns)}, subset: v1}, weight: 50}, {destination: {host: ${host(ns)}, subset: v9}, weight: 50}]`), '?rollout=abort');
    expect(res.status).toBe(409);
    expect(res.body.rollouts).toBeUndefined();
    expect(await head()).toBe(before);
    expect(await read(body.id)).toMatchObject({ state: 'progressing', weight: 25, abort: null });
  });

  it('commits ?rollout=abort only with the write: a rollout that changed since it was read fails the whole batch', async () => {
    const ns = await setUp('owner-race');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const before = (await openDatabase(env.DB).select().from(objects).where(and(eq(objects.kind, 'VirtualService'), eq(objects.namespace, ns))).get())!;
    const row = { ...before, spec: { ...before.spec, http: [{ name: 'primary', route: [{ destination: { host: host(ns), subset: 'v1' }, weight: 100 }] }] } };
    const opts = { source: {}, author: 'test', rolloutOverride: 'abort' as const, revision: (await head()) + 1 };
    const stale = await rolloutRouteOwner(env, [{ row, before }], opts);
    // The rollout's driver saves it between this write's read and its batch.
    await env.DB.prepare('update rollouts set updated_at = ? where id = ?').bind('2099-01-01T00:00:00.000Z', body.id).run();
    await expect(env.DB.batch(stale.statements)).rejects.toThrow(/UNIQUE|PRIMARY KEY|constraint/);
    expect(await read(body.id)).toMatchObject({ state: 'progressing', abort: null });
    // Read again, unchanged since: the same statements commit.
    const fresh = await rolloutRouteOwner(env, [{ row, before }], opts);
    await env.DB.batch(fresh.statements);
    expect(await read(body.id)).toMatchObject({ state: 'aborted', weight: 0, abort: { reason: 'manual', revision: opts.revision } });
  });

  it('refuses a deletion of the VirtualService under a paused rollout unless forced, and a revision rollback too', async () => {
    const ns = await setUp('owner-del');
    const base = await head();
    const { body } = await start(request(ns));
    await act(body.id, 'pause');
    const refused = await callJson('DELETE', vsPath(ns));
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0]).toEqual({ object: `VirtualService ${ns}/reviews`, path: 'metadata.name', message: `rollout ${body.id} (paused, step 1 of 3, candidate at 10%) drives route primary: deleting the VirtualService makes the rollout abort at its next step` });

    // Rolling the whole config back to before the rollout moves its route as well.
    const rollback = await callJson('POST', `/api/v1/revisions/${base}/rollback`);
    expect(rollback.status).toBe(409);
    expect(rollback.body.rollouts[0].id).toBe(body.id);

    const res = await call('DELETE', `${vsPath(ns)}?force=true`);
    expect(res.status).toBe(200);
    expect(res.headers.get('warning')).toContain(`rollout ${body.id} (paused, step 1 of 3, candidate at 10%) drives route primary: deleting the VirtualService`);
    expect((await callJson('GET', `/api/v1/rollouts/${body.id}`)).body.routeNow).toEqual({ candidateWeight: null, revision: null, matches: false });
  });

  it('says nothing for writes that leave the route alone, for the rollout\'s own steps, or once it finished', async () => {
    const ns = await setUp('owner-quiet');
    const { body } = await start(request(ns, { steps: [50, 100] }));
    // Same weights as step 1 (50/50) with a label changed: no warning, no refusal.
    const labelled = mesh(ns, split(ns, 50, 50)).replace(`kind: VirtualService\nmetadata: {name: reviews, namespace: ${ns}}`, `kind: VirtualService\nmetadata: {name: reviews, namespace: ${ns}, labels: {touched: "yes"}}`);
    expect(labelled).toContain('touched');
    const same = await apply(labelled);
    expect(same.status).toBe(201);
    expect(same.body.warnings ?? []).toEqual([]);
    await runAlarm(body.id);
    await runAlarm(body.id);
    expect((await read(body.id)).state).toBe('succeeded');
    expect((await read(body.id)).routeNow).toBeUndefined();
    const after = await apply(mesh(ns, split(ns, 90, 10)));
    expect(after.status).toBe(201);
    expect(after.body.warnings ?? []).toEqual([]);
  });

  it('refuses what the override parameters cannot mean, naming the parameter', async () => {
    const ns = await setUp('owner-bad');
    const before = await head();
    for (const [query, path] of [['?rollout=yes', 'rollout'], ['?force=1', 'force'], ['?rollout=abort&force=true', 'force']] as const) {
      const res = await apply(mesh(ns, split(ns, 90, 10)), query);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0].path, query).toBe(path);
    }
    expect(await head()).toBe(before);
  });
});

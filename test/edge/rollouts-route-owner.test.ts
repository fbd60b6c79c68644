import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { apply, call, callJson } from './helpers';
import { act, host, mesh, read, request, runAlarm, setUp, start } from './rollouts-support';

// A write that moves the weights of a route an active rollout drives stands, with a warning naming the
// rollout, and the rollout's answer says what the route holds now.

const split = (ns: string, v1: number, v2: number) => `[{destination: {host: ${host(ns)}, subset: v1}, weight: ${v1}}, {destination: {host: ${host(ns)}, subset: v2}, weight: ${v2}}]`;

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
});

describe('a write under an active rollout', () => {
  it('warns naming the rollout when it moves the route, and routeNow tells the truth until the next step', async () => {
    const ns = await setUp('owner');
    const { body } = await start(request(ns, { steps: [25, 50, 100], pauseSeconds: 3600 }));
    const id: number = body.id;
    expect((await read(id)).routeNow).toEqual({ candidateWeight: 25, revision: body.history[0].revision, matches: true });

    const res = await apply(mesh(ns, split(ns, 90, 10)));
    expect(res.status).toBe(201);
    const warning = res.body.warnings.find((w: { object?: string }) => w.object === `VirtualService ${ns}/reviews`);
    expect(warning).toEqual({
      object: `VirtualService ${ns}/reviews`,
      path: 'spec.http[0].route',
      message: `rollout ${id} (progressing, step 1 of 3, candidate at 25%) drives route primary: this write puts the candidate at 10%, which the rollout's next step overwrites; to keep this split, abort the rollout (xdsflare rollout abort ${id}), or steer it (pause, promote)`,
    });
    expect(res.headers.get('warning')).toContain(`rollout ${id} (progressing`);
    const r = await read(id);
    expect(r).toMatchObject({ weight: 25, routeNow: { candidateWeight: 10, revision: res.body.revision, matches: false } });
  });

  it('says nothing for writes that leave the route alone, for the rollout\'s own steps, or once it finished', async () => {
    const ns = await setUp('owner-quiet');
    const { body } = await start(request(ns, { steps: [50, 100] }));
    // Same weights as step 0 (50/50) with a label changed: no warning.
    const same = await apply(mesh(ns, split(ns, 50, 50)).replace('metadata: {name: reviews, namespace: ' + ns + '}\nspec:\n  hosts: [' + host(ns) + ']\n  http', 'metadata: {name: reviews, namespace: ' + ns + ', labels: {touched: "yes"}}\nspec:\n  hosts: [' + host(ns) + ']\n  http'));
    expect(same.status).toBe(201);
    expect(same.body.warnings ?? []).toEqual([]);
    await runAlarm(body.id);
    await runAlarm(body.id);
    expect((await read(body.id)).state).toBe('succeeded');
    expect((await read(body.id)).routeNow).toBeUndefined();
    const after = await apply(mesh(ns, split(ns, 90, 10)));
    expect(after.body.warnings ?? []).toEqual([]);
  });

  it('warns when the VirtualService is deleted under a paused rollout', async () => {
    const ns = await setUp('owner-del');
    const { body } = await start(request(ns));
    await act(body.id, 'pause');
    const res = await call('DELETE', `/api/v1/namespaces/${ns}/virtualservices/reviews`);
    expect(res.status).toBe(200);
    expect(res.headers.get('warning')).toContain(`rollout ${body.id} (paused, step 1 of 3, candidate at 10%) drives route primary: deleting the VirtualService`);
    expect((await callJson('GET', `/api/v1/rollouts/${body.id}`)).body.routeNow).toEqual({ candidateWeight: null, revision: null, matches: false });
  });
});

import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { app } from '../../functions/index';
import { beforeEach, describe, expect, it } from 'vitest';
import { forgetGoneProxies, resetForgetSweep } from '../../functions/domain/status/fleet';
import { openDatabase } from '../../functions/domain/db/store';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { callJson, countRows } from './helpers';
import { read, report, request, runAlarm, setUp, start } from './rollouts-support';

// Proxies come and go: stale after STATUS_STALE_MS (waited for by nobody), gone after STATUS_FORGET_MS
// (not listed, not counted, deleted), or forgotten at once with DELETE /api/v1/proxies/{node}.

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const listed = async () => ((await callJson('GET', '/api/v1/proxies')).body.items as { nodeId: string; stale: boolean }[]).map((p) => [p.nodeId, p.stale]);

beforeEach(async () => {
  await env.DB.prepare('delete from proxies').run();
  forgetTrackedNodes();
  resetForgetSweep();
});

describe('the proxy lifecycle', () => {
  it('lists a proxy as stale after STATUS_STALE_MS and not at all after STATUS_FORGET_MS, whose row is then deleted', async () => {
    await report([
      { node: 'live-1', revision: 1 },
      { node: 'stale-1', revision: 1, lastSeen: ago(5 * 60_000) },
      { node: 'gone-1', revision: 1, lastSeen: ago(11 * 60_000) },
    ]);
    expect(await listed()).toEqual([
      ['live-1', false],
      ['stale-1', true],
    ]);
    await setUp('fleet');
    const head = (await callJson('GET', '/api/v1/revisions?limit=1')).body.items[0].revision;
    const status = (await callJson('GET', `/api/v1/revisions/${head}/status`)).body;
    expect(status.counts).toMatchObject({ stale: 1 });
    expect(status.proxies.map((p: { node_id: string }) => p.node_id)).toEqual(['live-1', 'stale-1']);
    // (The listing's own sweep may have deleted it first.)
    await forgetGoneProxies(openDatabase(env.DB), Date.now(), 600_000);
    expect(await countRows('proxies')).toBe(2);
  });

  it('deletes gone proxies on a status write too (no cron under wrangler dev)', async () => {
    await env.DB.prepare("insert into proxies (node_id, view, versions, last_seen) values ('gone-2', 'envoy|mesh', '{}', ?)").bind(ago(3_600_000)).run();
    // Through this module's app, so the sweep's per-isolate clock is the one beforeEach reset, and waited for.
    const ctx = createExecutionContext();
    const body = { bridge: 'b', proxies: [{ node_id: 'live-2', view: 'envoy|mesh', last_seen: new Date().toISOString(), types: {} }] };
    const req = new Request('http://edge.test/api/v1/proxies/status', { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await app.fetch(req, env, ctx)).status).toBe(204);
    await waitOnExecutionContext(ctx);
    const left = await env.DB.prepare('select node_id from proxies order by node_id').all<{ node_id: string }>();
    expect(left.results.map((r) => r.node_id)).toEqual(['live-2']);
  });

  it('a rollout started after the only proxy left the fleet succeeds', async () => {
    const ns = await setUp('afterdead');
    await report([{ node: 'dead-1', revision: 1, lastSeen: ago(11 * 60_000) }]);
    const { body } = await start(request(ns, { steps: [50, 100] }));
    await runAlarm(body.id);
    await runAlarm(body.id);
    const r = await read(body.id);
    expect(r.state).toBe('succeeded');
    expect(r.history.map((h: { noProxies?: boolean; note?: string }) => [h.noProxies, h.note])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });
});

describe('DELETE /api/v1/proxies/{node}', () => {
  it('forgets a stale proxy, 409s a live one, 404s an unknown one', async () => {
    await report([
      { node: 'stale-3', revision: 1, lastSeen: ago(2 * 60_000) },
      { node: 'live-3', revision: 1 },
    ]);
    expect((await callJson('DELETE', '/api/v1/proxies/stale-3')).status).toBe(204);
    expect(await listed()).toEqual([['live-3', false]]);
    const live = await callJson('DELETE', '/api/v1/proxies/live-3');
    expect(live.status).toBe(409);
    expect(live.body.detail).toMatch(/^proxy "live-3" is live: bridge bridge-test reported it \d+s ago/);
    expect((await callJson('DELETE', '/api/v1/proxies/stale-3')).status).toBe(404);
  });

  it('needs status:write', async () => {
    const created = await callJson('POST', '/api/v1/tokens', { body: { name: `reader-${crypto.randomUUID().slice(0, 6)}`, scopes: ['config:read', 'config:write'] } });
    expect(created.status).toBe(201);
    const res = await callJson('DELETE', '/api/v1/proxies/any', { token: created.body.token });
    expect(res.status).toBe(403);
  });
});

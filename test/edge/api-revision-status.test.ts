import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { app } from '../../functions/index';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { RESOURCE_TYPES } from '../../xds';
import { apply, callJson, envoyNode, poll, REVIEWS } from './helpers';

type Json = Record<string, any>;
const { clusters: CDS, endpoints: EDS, listeners: LDS, routes: RDS } = RESOURCE_TYPES;

const report = (proxies: Json[], bridge = 'bridge-1') => callJson('POST', '/api/v1/proxies/status', { body: { bridge, proxies }, contentType: 'application/json' });
const proxy = (nodeId: string, types: Json, lastSeen = new Date().toISOString()) => ({ node_id: nodeId, view: 'envoy|mesh', last_seen: lastSeen, types });
/** Every type acknowledged, as served from `revision`. */
const allAcked = (revision: number) => Object.fromEntries([CDS, EDS, LDS, RDS].map((t) => [t, { acked: 'v', served: 'v', served_revision: revision, nack: null }]));
const statusOf = (n: number | string, query = '') => callJson('GET', `/api/v1/revisions/${n}/status${query}`);

let revision = 0;
let ns = '';
beforeEach(async () => {
  // Revision status judges every proxy there is: each case starts from none.
  await env.DB.prepare('delete from proxies').run();
  forgetTrackedNodes();
  ns = `status-${crypto.randomUUID().slice(0, 8)}`;
  const res = await apply(REVIEWS([80, 20], ns));
  expect(res.status).toBe(201);
  revision = res.body.revision;
});

describe('GET /api/v1/revisions/{n}/status', () => {
  it('says no-proxies when none reported, and 404s an unknown revision', async () => {
    const res = await statusOf(revision);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revision, head: revision, phase: 'no-proxies', counts: { converged: 0, rejected: 0, pending: 0, stale: 0 }, proxies: [] });
    const missing = await statusOf(revision + 1000);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  it('is converged when every subscription acknowledged what it was served from n or later', async () => {
    expect((await report([proxy('conv-1', allAcked(revision)), proxy('conv-2', allAcked(revision + 3))])).status).toBe(204);
    const res = await statusOf(revision);
    expect(res.body).toMatchObject({ revision, head: revision, phase: 'converged', counts: { converged: 2, rejected: 0, pending: 0, stale: 0 } });
    expect(res.body.proxies).toEqual([
      { node_id: 'conv-1', view: 'envoy|mesh', transport: 'ads', bridge: 'bridge-1', state: 'converged', last_seen: expect.any(String), rejections: [] },
      { node_id: 'conv-2', view: 'envoy|mesh', transport: 'ads', bridge: 'bridge-1', state: 'converged', last_seen: expect.any(String), rejections: [] },
    ]);
  });

  it('is pending while a proxy has not acknowledged, or was last served before n', async () => {
    const notAcked = { ...allAcked(revision), [RDS]: { acked: 'old', served: 'new', served_revision: revision, nack: null } };
    const behind = allAcked(revision - 1);
    expect((await report([proxy('pend-1', notAcked), proxy('pend-2', behind), proxy('pend-3', allAcked(revision))])).status).toBe(204);
    const res = await statusOf(revision);
    expect(res.body).toMatchObject({ phase: 'pending', counts: { converged: 1, rejected: 0, pending: 2, stale: 0 } });
    expect(res.body.proxies.map((p: Json) => [p.node_id, p.state])).toEqual([['pend-1', 'pending'], ['pend-2', 'pending'], ['pend-3', 'converged']]);
    // For the revision before, the one served from it has converged.
    expect((await statusOf(revision - 1)).body.counts).toMatchObject({ converged: 2, pending: 1 });
  });

  it('is rejected when a proxy NACKed what it was served from n or later, with the detail', async () => {
    const nacked = { ...allAcked(revision), [LDS]: { acked: 'l1', served: 'l2', served_revision: revision, nack: { version: 'l2', message: 'duplicate listener' } } };
    const oldNack = { ...allAcked(revision - 1), [LDS]: { acked: 'l1', served: 'l0', served_revision: revision - 1, nack: { version: 'l0', message: 'older' } } };
    expect((await report([proxy('rej-1', nacked), proxy('rej-2', allAcked(revision)), proxy('rej-3', oldNack)])).status).toBe(204);
    const res = await statusOf(revision);
    expect(res.body).toMatchObject({ phase: 'rejected', counts: { converged: 1, rejected: 1, pending: 1, stale: 0 } });
    expect(res.body.proxies[0]).toMatchObject({ node_id: 'rej-1', state: 'rejected', rejections: [{ type: LDS, version: 'l2', message: 'duplicate listener', inferred: false }] });
    // A NACK of an older revision's version says nothing about n: that proxy is pending on it.
    expect(res.body.proxies[2]).toMatchObject({ node_id: 'rej-3', state: 'pending', rejections: [] });
  });

  it('counts stale proxies without judging them', async () => {
    // Stale (past STATUS_STALE_MS) but not gone (STATUS_FORGET_MS, 10 minutes).
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    const nacked = { [LDS]: { acked: '', served: 'l2', served_revision: revision, nack: { version: 'l2', message: 'bad' } } };
    expect((await report([proxy('stale-1', nacked, old), proxy('stale-2', allAcked(revision - 1), old)])).status).toBe(204);
    const blind = (await statusOf(revision)).body;
    expect(blind).toMatchObject({ phase: 'no-proxies', counts: { converged: 0, rejected: 0, pending: 0, stale: 2 } });
    expect(blind.note).toMatch(/^2 proxies are stale \(not seen for 60s\): stale-1 \(via bridge bridge-1, last seen 300s ago\), stale-2 .*no live proxy can confirm this revision; if bridge bridge-1 is still running, it may be cut off from the edge; stale proxies leave the fleet 600s after/);
    expect((await report([proxy('fresh-1', allAcked(revision))])).status).toBe(204);
    const res = await statusOf(revision);
    expect(res.body).toMatchObject({ phase: 'converged', counts: { converged: 1, stale: 2 }, note: expect.stringContaining('not waited for') });
    expect(res.body.proxies.find((p: Json) => p.node_id === 'stale-1')).toMatchObject({ state: 'stale', rejections: [] });
  });

  it('with ?wait= answers as soon as a report makes the rollout converge', async () => {
    expect((await report([proxy('wait-1', allAcked(revision - 1))])).status).toBe(204);
    const started = Date.now();
    const waiting = statusOf(revision, '?wait=20');
    await scheduler.wait(700);
    expect((await report([proxy('wait-1', allAcked(revision))])).status).toBe(204);
    const res = await waiting;
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phase: 'converged', counts: { converged: 1 } });
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('with ?wait= answers the pending state when the wait ends, and at once when not pending', async () => {
    expect((await report([proxy('timeout-1', allAcked(revision - 1))])).status).toBe(204);
    let started = Date.now();
    const res = await statusOf(revision, '?wait=1');
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.phase).toBe('pending');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4_000);

    started = Date.now();
    expect((await statusOf(revision - 1, '?wait=30')).body.phase).toBe('converged');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a bad wait or revision, naming it', async () => {
    for (const wait of ['301', '-1', 'soon', 'NaN']) {
      const res = await statusOf(revision, `?wait=${wait}`);
      expect(res.status, wait).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors).toEqual([{ path: 'wait', message: expect.stringContaining('0 to 300') }]);
    }
    expect((await statusOf(revision, '?wait=0')).status).toBe(200);
    expect((await statusOf(revision, '?wait=0.5')).status).toBe(200);
    const bad = await statusOf('latest');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('revision');
  });

  it('needs a token with config:read', async () => {
    expect((await callJson('GET', `/api/v1/revisions/${revision}/status`, { token: null })).status).toBe(401);
    const token = (await callJson('POST', '/api/v1/tokens', { body: { name: 'status-bridge-only', scopes: ['status:write', 'xds:read'] } })).body.token as string;
    expect((await callJson('GET', `/api/v1/revisions/${revision}/status`, { token })).status).toBe(403);
  });
});

describe('revision status of REST pollers', () => {
  const flushEveryPoll = async (req: Request) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(req, { ...env, XDS_STATUS_FLUSH_MS: '0' }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

  it('is pending after a 200, converged once the poller reports the version, and pending again for a later revision', async () => {
    const node = envoyNode('rest-status-1');
    const served = await poll('clusters', { node }, flushEveryPoll);
    expect(served.status).toBe(200);
    let res = await statusOf(revision);
    expect(res.body).toMatchObject({ phase: 'pending', counts: { pending: 1 } });
    expect(res.body.proxies[0]).toMatchObject({ node_id: 'rest-status-1', transport: 'rest', bridge: null, state: 'pending' });

    expect((await poll('clusters', { node, version: served.body!.version_info }, flushEveryPoll)).status).toBe(304);
    res = await statusOf(revision);
    expect(res.body).toMatchObject({ phase: 'converged', counts: { converged: 1 } });

    // A later revision: not converged until the poller has polled again.
    const next = await apply(REVIEWS([50, 50], ns));
    expect((await statusOf(next.body.revision)).body).toMatchObject({ head: next.body.revision, phase: 'pending' });
  });

  it('is rejected, and says it was inferred, when a poller keeps reporting its old version', async () => {
    const node = envoyNode('rest-status-2');
    const v1 = (await poll('clusters', { node }, flushEveryPoll)).body!.version_info;
    await poll('clusters', { node, version: v1 }, flushEveryPoll);
    const changed = await apply(REVIEWS([80, 20], ns).replace('- {name: v2, labels: {version: v2}}', '- {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}'));
    for (let i = 0; i < 4; i++) expect((await poll('clusters', { node, version: v1 }, flushEveryPoll)).status).toBe(200);
    const res = await statusOf(changed.body.revision);
    expect(res.body.phase).toBe('rejected');
    expect(res.body.proxies[0].rejections).toEqual([{ type: CDS, version: expect.any(String), message: expect.stringMatching(/^inferred: /), inferred: true }]);
  });
});

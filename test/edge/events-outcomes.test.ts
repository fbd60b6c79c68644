import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { emitEvent } from '../../functions/domain/events/emit';
import { detectOutcomes } from '../../functions/domain/status/outcomes';
import { app } from '../../functions/index';
import { forgetTrackedNodes } from '../../functions/domain/status/poll-tracker';
import { RESOURCE_TYPES } from '../../xds';
import { apply, BASE, callJson, envoyNode, poll, REVIEWS } from './helpers';

type Json = Record<string, any>;
const { clusters: CDS, endpoints: EDS, listeners: LDS, routes: RDS } = RESOURCE_TYPES;
// Nothing listens there: the dispatcher's attempts fail fast, and these tests read the outbox only.
const RECEIVER = 'http://127.0.0.1:9/hook';

/** Through the Worker's fetch handler, waiting for its waitUntil work (outcome detection) to finish. */
async function settled(req: Request, extra: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(req, { ...env, ...extra }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const report = (proxies: Json[]) =>
  settled(new Request(`${BASE}/api/v1/proxies/status`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body: JSON.stringify({ bridge: 'bridge-ev', proxies }) }));
const proxy = (nodeId: string, types: Json) => ({ node_id: nodeId, view: 'envoy|mesh', last_seen: new Date().toISOString(), types });
const allAcked = (revision: number) => Object.fromEntries([CDS, EDS, LDS, RDS].map((t) => [t, { acked: 'v', served: 'v', served_revision: revision, nack: null }]));
const deliveriesOf = async (event: string) => (await env.DB.prepare('select * from deliveries where event = ? order by webhook').bind(event).all<Json>()).results;
const outcomeOf = (revision: number) => env.DB.prepare('select outcome, outcome_at from revisions where id = ?').bind(revision).first<Json>();
const hook = (name: string, events?: string[]) => callJson('PUT', `/api/v1/webhooks/${name}`, { body: { url: RECEIVER, ...(events ? { events } : {}) } });

let ns = '';
beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('delete from proxies'), env.DB.prepare('delete from deliveries'), env.DB.prepare('delete from webhooks')]);
  forgetTrackedNodes();
  ns = `ev-${crypto.randomUUID().slice(0, 8)}`;
});

describe('the outbox', () => {
  it('gets one delivery per webhook subscribed to the type, each with its own id in the body', async () => {
    await hook('all');
    await hook('steps', ['rollout.step', 'rollout.aborted']);
    await hook('converged-only', ['revision.converged']);
    await emitEvent(env, 'rollout.step', { rollout: 4, step: 1, weight: 25 });
    const rows = await deliveriesOf('rollout.step');
    expect(rows.map((r) => r.webhook)).toEqual(['all', 'steps']);
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'pending', event: 'rollout.step', id: expect.stringMatching(/^msg_[0-9a-f]{32}$/) });
      expect(JSON.parse(r.payload)).toEqual({ id: r.id, type: 'rollout.step', createdAt: r.created_at, data: { rollout: 4, step: 1, weight: 25 } });
    }
    expect(rows[0]!.id).not.toBe(rows[1]!.id);

    await emitEvent(env, 'rollout.succeeded', { rollout: 4 });
    expect((await deliveriesOf('rollout.succeeded')).map((r) => r.webhook)).toEqual(['all']);
  });

  it('wakes the dispatcher, whose alarm attempts the delivery and records why it failed', async () => {
    await hook('unreachable');
    await emitEvent(env, 'rollout.aborted', { rollout: 5 });
    let row: Json | undefined;
    for (let i = 0; i < 100 && !row?.attempts; i++) {
      await scheduler.wait(100);
      row = (await deliveriesOf('rollout.aborted'))[0];
    }
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: null, last_error: expect.stringMatching(/^could not connect: /), next_attempt_at: expect.any(String) });
  });
});

describe('revision outcome events', () => {
  it('emits revision.converged once, when a bridge report makes the revision converge', async () => {
    await hook('ci');
    await hook('rollouts-only', ['rollout.step']);
    const { revision } = (await apply(REVIEWS([80, 20], ns))).body;

    // Pending: no outcome, no event.
    expect((await report([proxy('ev-1', allAcked(revision)), proxy('ev-2', allAcked(revision - 1))])).status).toBe(204);
    expect(await outcomeOf(revision)).toEqual({ outcome: null, outcome_at: null });

    expect((await report([proxy('ev-2', allAcked(revision))])).status).toBe(204);
    expect(await outcomeOf(revision)).toEqual({ outcome: 'converged', outcome_at: expect.any(String) });
    // Reported again, twice at once: still one event.
    await Promise.all([report([proxy('ev-1', allAcked(revision))]), report([proxy('ev-2', allAcked(revision))])]);
    await detectOutcomes(env);

    const rows = (await deliveriesOf('revision.converged')).filter((r) => JSON.parse(r.payload).data.revision === revision);
    expect(rows.map((r) => r.webhook)).toEqual(['ci']);
    expect(JSON.parse(rows[0]!.payload)).toEqual({
      id: rows[0]!.id,
      type: 'revision.converged',
      createdAt: expect.any(String),
      data: { revision, head: revision, phase: 'converged', counts: { converged: 2, rejected: 0, pending: 0, stale: 0 }, author: 'admin', source: expect.any(Object), committedAt: expect.any(String) },
    });
  });

  it('emits revision.rejected once, with the NACK detail, and nothing more for that revision', async () => {
    await hook('ci', ['revision.rejected', 'revision.converged']);
    const first = (await apply(REVIEWS([80, 20], ns))).body.revision;
    expect((await report([proxy('rej-1', allAcked(first))])).status).toBe(204);
    const { revision } = (await apply(REVIEWS([50, 50], ns))).body;
    const nacked = { ...allAcked(revision), [LDS]: { acked: 'l1', served: 'l2', served_revision: revision, nack: { version: 'l2', message: 'Error adding/updating listener(s) 0.0.0.0_9080: duplicate' } } };
    expect((await report([proxy('rej-1', nacked)])).status).toBe(204);
    expect(await outcomeOf(revision)).toMatchObject({ outcome: 'rejected' });

    // Fixed by the proxy later: converged now, but the outcome (and its one event) stand.
    expect((await report([proxy('rej-1', allAcked(revision))])).status).toBe(204);
    expect(await outcomeOf(revision)).toMatchObject({ outcome: 'rejected' });
    const rejected = await deliveriesOf('revision.rejected');
    expect(rejected).toHaveLength(1);
    expect(JSON.parse(rejected[0]!.payload).data).toMatchObject({
      revision,
      phase: 'rejected',
      counts: { rejected: 1 },
      rejectionCount: 1,
      rejections: [{ node_id: 'rej-1', type: LDS, version: 'l2', message: 'Error adding/updating listener(s) 0.0.0.0_9080: duplicate', inferred: false }],
    });
    expect((await deliveriesOf('revision.converged')).map((r) => JSON.parse(r.payload).data.revision)).toEqual([first]);
  });

  it('records nothing for a revision no proxy has reported on', async () => {
    const { revision } = (await apply(REVIEWS([80, 20], ns))).body;
    await detectOutcomes(env);
    expect(await outcomeOf(revision)).toEqual({ outcome: null, outcome_at: null });
  });

  it('emits revision.converged when a REST poller reports the version, after the status flush', async () => {
    await hook('ci');
    const { revision } = (await apply(REVIEWS([80, 20], ns))).body;
    const node = envoyNode('rest-ev-1');
    const flushEveryPoll = (req: Request) => settled(req, { XDS_STATUS_FLUSH_MS: '0' });
    const served = await poll('clusters', { node }, flushEveryPoll);
    expect(served.status).toBe(200);
    expect(await outcomeOf(revision)).toMatchObject({ outcome: null });
    expect((await poll('clusters', { node, version: served.body!.version_info }, flushEveryPoll)).status).toBe(304);
    expect(await outcomeOf(revision)).toMatchObject({ outcome: 'converged' });
    // (The previous case's revision converges too: this poller was served from a later one.)
    expect((await deliveriesOf('revision.converged')).filter((r) => JSON.parse(r.payload).data.revision === revision)).toHaveLength(1);
  });
});

import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectOutcomes } from '../../functions/domain/status/outcomes';
import { RESOURCE_TYPES } from '../../xds';
import { apply, REVIEWS } from './helpers';

const { clusters: CDS, endpoints: EDS, listeners: LDS, routes: RDS } = RESOURCE_TYPES;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A D1 whose statements never answer, as when the runtime cancels a request's waitUntil work mid-query. */
const hungD1 = new Proxy(env.DB, {
  get(target, prop) {
    if (prop === 'prepare') {
      const statement: object = new Proxy({}, { get: (_, p) => (p === 'bind' ? () => statement : p === 'then' ? undefined : () => new Promise(() => {})) });
      return () => statement;
    }
    if (prop === 'batch') return () => new Promise(() => {});
    const value = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'settled'), scheduler.wait(ms).then(() => 'pending')]);

describe('revision outcome detection', () => {
  it('is not blocked for good in an isolate by a run that never settled (its waitUntil cut short while D1 hung)', async () => {
    await env.DB.prepare('delete from proxies').run();
    const ns = `evstuck-${crypto.randomUUID().slice(0, 8)}`;
    const { revision } = (await apply(REVIEWS([80, 20], ns))).body;
    // Every proxy acknowledged it (stored as a status report would; no report, so nothing judged it yet).
    const versions = Object.fromEntries([CDS, EDS, LDS, RDS].map((t) => [t, { acked: 'v', served: 'v', servedRevision: revision, updatedAt: new Date().toISOString() }]));
    await env.DB.prepare("insert into proxies (node_id, view, transport, versions, last_seen) values ('evstuck-1', 'envoy|mesh', 'ads', ?, ?)").bind(JSON.stringify(versions), new Date().toISOString()).run();

    const hung = detectOutcomes({ ...env, DB: hungD1 });
    expect(await within(hung, 200)).toBe('pending');

    // A minute later, with D1 answering: the revision's outcome is judged and recorded (the proxy
    // counts as fresh for this judgement).
    const t0 = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => t0 + 61_000);
    expect(await within(detectOutcomes({ ...env, STATUS_STALE_MS: '600000' }), 3000)).toBe('settled');
    const row = await env.DB.prepare('select outcome from revisions where id = ?').bind(revision).first<{ outcome: string | null }>();
    expect(row!.outcome).toBe('converged');
  });
});

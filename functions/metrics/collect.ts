import type { Env } from '../env';
import { fleetCutoff } from '../domain/status/fleet';
import { settings } from '../settings';
import type { Family } from './exposition';

/** Every state a family always lists (0 when none), so a dashboard's series do not come and go. */
const ROLLOUT_STATES = ['progressing', 'paused', 'succeeded', 'aborted'];
const DELIVERY_STATES = ['pending', 'delivered', 'failed'];
const TRANSPORTS = ['rest', 'ads'];

const count = (rows: { value: number }[]) => rows[0]?.value ?? 0;

function byKeys<K extends string>(rows: Record<K | 'value', string | number>[], keys: K[], always: Partial<Record<K, string[]>>): { labels: Record<K, string>; value: number }[] {
  const out = new Map<string, { labels: Record<K, string>; value: number }>();
  const add = (labels: Record<K, string>, value: number) => {
    const id = JSON.stringify(keys.map((k) => labels[k]));
    out.set(id, { labels, value: (out.get(id)?.value ?? 0) + value });
  };
  // The combinations of the always-listed values, at 0.
  let combos: Record<string, string>[] = [{}];
  for (const k of keys) combos = combos.flatMap((c) => (always[k] ?? []).map((v) => ({ ...c, [k]: v })));
  if (keys.every((k) => always[k]?.length)) for (const c of combos) add(c as Record<K, string>, 0);
  for (const r of rows) add(Object.fromEntries(keys.map((k) => [k, String(r[k])])) as Record<K, string>, Number(r.value));
  return [...out.values()];
}

/**
 * The edge's state as Prometheus families, from D1 in one batch: proxies of the fleet by state (live or
 * stale, by STATUS_STALE_MS; gone ones are not counted) and transport, revisions, rollouts by state,
 * webhook deliveries by state. Gauges: each is what D1 holds at the scrape.
 */
export async function collectMetrics(env: Env, now = Date.now()): Promise<Family[]> {
  const s = settings(env);
  const staleBefore = new Date(now - s.staleMs).toISOString();
  const goneBefore = fleetCutoff(now, s.forgetMs);
  const [proxies, revisions, rollouts, deliveries] = (await env.DB.batch<Record<string, string | number>>([
    env.DB.prepare(`select case when last_seen < ? then 'stale' else 'live' end as state, transport, count(*) as value from proxies where last_seen >= ? group by 1, 2`).bind(staleBefore, goneBefore),
    env.DB.prepare('select count(*) as value, coalesce(max(id), 0) as head from revisions'),
    env.DB.prepare('select state, count(*) as value from rollouts group by state'),
    env.DB.prepare('select status as state, count(*) as value from deliveries group by status'),
  ])) as [D1Result<Record<string, string | number>>, D1Result<Record<string, string | number>>, D1Result<Record<string, string | number>>, D1Result<Record<string, string | number>>];
  const rev = (revisions.results[0] ?? { value: 0, head: 0 }) as { value: number; head: number };
  return [
    {
      name: 'xdsflare_proxies',
      help: 'Proxies in the fleet by state (live: seen within STATUS_STALE_MS; stale: not since, until STATUS_FORGET_MS) and transport (rest or ads)',
      type: 'gauge',
      samples: byKeys(proxies.results as Record<'state' | 'transport' | 'value', string | number>[], ['state', 'transport'], { state: ['live', 'stale'], transport: TRANSPORTS }),
    },
    { name: 'xdsflare_revisions', help: 'Revisions committed (the history kept in D1)', type: 'gauge', samples: [{ value: count(revisions.results as { value: number }[]) }] },
    { name: 'xdsflare_head_revision', help: 'The newest revision', type: 'gauge', samples: [{ value: Number(rev.head) }] },
    { name: 'xdsflare_rollouts', help: 'Rollouts by state', type: 'gauge', samples: byKeys(rollouts.results as Record<'state' | 'value', string | number>[], ['state'], { state: ROLLOUT_STATES }) },
    { name: 'xdsflare_webhook_deliveries', help: 'Webhook deliveries by state (pending: not yet delivered, retried with backoff)', type: 'gauge', samples: byKeys(deliveries.results as Record<'state' | 'value', string | number>[], ['state'], { state: DELIVERY_STATES }) },
  ];
}

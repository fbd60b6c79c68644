import { describe, expect, it } from 'vitest';
import { apply, callJson, poll } from './helpers';

// DestinationRules chosen per proxy as Istio does: the proxy's namespace first, then the host's, then
// istio-system; a workloadSelector rule only for the matching proxies of its namespace. Proxies of
// different namespaces and labels poll REST and get different cluster policies; a PATCH of one rule
// changes exactly the views that rule reaches.

const SERVICE = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ledger, namespace: bank}
spec:
  hosts: [ledger.bank.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.7.0.1, labels: {version: v1}}]
`;
const rule = (name: string, ns: string, lb: string, extra = '') => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}}
spec:
  host: ledger.bank.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: ${lb}}}
${extra}`;
const RULES = [
  rule('ledger', 'bank', 'LEAST_REQUEST'),
  rule('ledger-for-shop', 'shop', 'RANDOM'),
  rule('ledger-for-batch', 'shop', 'ROUND_ROBIN', '  workloadSelector: {matchLabels: {app: batch}}\n'),
].join('---');

const node = (id: string, namespace: string | undefined, labels: Record<string, string> = {}) => ({ id, cluster: 'test', user_agent_name: 'envoy', metadata: { labels, ...(namespace ? { NAMESPACE: namespace } : {}) } });
const PROXIES = {
  bank: node('bank-1', 'bank'),
  shop: node('shop-1', 'shop', { app: 'web' }),
  batch: node('shop-2', 'shop', { app: 'batch' }),
  other: node('other-1', 'ops'),
  none: node('bare-1', undefined),
};

async function policies(): Promise<Policies> {
  const out = {} as Policies;
  for (const [who, n] of Object.entries(PROXIES)) {
    const cds = await poll('clusters', { node: n });
    expect(cds.status).toBe(200);
    const c = cds.body!.resources.find((r) => r.name === 'outbound|8080||ledger.bank.svc.cluster.local');
    out[who as keyof typeof PROXIES] = { lb: c ? (c.lb_policy ?? 'ROUND_ROBIN') : undefined, version: cds.body!.version_info };
  }
  return out;
}
type Policies = Record<keyof typeof PROXIES, { lb: string | undefined; version: string }>;
const lbs = (p: Policies) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.lb]));

describe('DestinationRules by proxy namespace and workloadSelector', () => {
  it('give each proxy its rule, and a PATCH of one rule changes only the views it reaches', async () => {
    expect((await apply(SERVICE + '---' + RULES)).status).toBe(201);
    const before = await policies();
    // shop's own rule for shop's proxies, its workloadSelector one for app=batch; the host's namespace's for the rest.
    expect(lbs(before)).toEqual({ bank: 'LEAST_REQUEST', shop: 'RANDOM', batch: 'ROUND_ROBIN', other: 'LEAST_REQUEST', none: 'LEAST_REQUEST' });

    const patch = (name: string, ns: string, lb: string) =>
      callJson('PATCH', `/api/v1/namespaces/${ns}/destinationrules/${name}`, { body: { spec: { trafficPolicy: { loadBalancer: { simple: lb } } } }, contentType: 'application/merge-patch+json' });
    expect((await patch('ledger-for-shop', 'shop', 'LEAST_REQUEST')).status).toBe(200);
    const afterShop = await policies();
    expect(lbs(afterShop)).toEqual({ bank: 'LEAST_REQUEST', shop: 'LEAST_REQUEST', batch: 'ROUND_ROBIN', other: 'LEAST_REQUEST', none: 'LEAST_REQUEST' });
    // Only the shop proxies without app=batch see a new CDS version.
    for (const who of ['bank', 'batch', 'other', 'none'] as const) expect(afterShop[who].version, who).toBe(before[who].version);
    expect(afterShop.shop.version).not.toBe(before.shop.version);

    expect((await patch('ledger', 'bank', 'RANDOM')).status).toBe(200);
    const afterBank = await policies();
    expect(lbs(afterBank)).toEqual({ bank: 'RANDOM', shop: 'LEAST_REQUEST', batch: 'ROUND_ROBIN', other: 'RANDOM', none: 'RANDOM' });
    for (const who of ['shop', 'batch'] as const) expect(afterBank[who].version, who).toBe(afterShop[who].version);

    // Without shop's namespace-wide rule, shop's other proxies get no rule at all (Istio looks no further than
    // the proxy's namespace once it has one for the host, even one whose selector misses): a warning says so.
    const deleted = await callJson('DELETE', '/api/v1/namespaces/shop/destinationrules/ledger-for-shop');
    expect(deleted.status).toBe(200);
    expect(JSON.stringify(deleted.body.warnings ?? [])).toContain('get no DestinationRule for host ledger.bank.svc.cluster.local');
    expect(lbs(await policies())).toEqual({ bank: 'RANDOM', shop: 'ROUND_ROBIN', batch: 'ROUND_ROBIN', other: 'RANDOM', none: 'RANDOM' });
  });

  it('refuses what Istio would settle by creation time, naming the field; nothing stored', async () => {
    const twin = rule('ledger-twin', 'bank', 'RANDOM');
    const refused = await apply(twin);
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([
      { object: 'DestinationRule/bank/ledger-twin', path: 'spec.trafficPolicy', message: expect.stringContaining('already sets the top-level trafficPolicy') },
    ]);
    const exported = await apply(rule('ledger-exported', 'shop', 'RANDOM', '  workloadSelector: {matchLabels: {app: web}}\n  exportTo: ["*"]\n'));
    expect(exported.status).toBe(400);
    expect(exported.body.errors[0]).toMatchObject({ path: expect.stringMatching(/spec\.exportTo$/), message: expect.stringContaining('workloadSelector applies only in its own namespace') });
  });
});

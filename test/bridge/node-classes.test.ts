import { afterEach, describe, expect, it } from 'vitest';
import { SotwAdsClient } from '../support/ads-test-client';
import { cl, mesh, startTestBridge } from '../support/ads-protocol-fixtures';

// A StatefulSet's pods carry their own name as a label. Until the edge says which labels views read,
// each pod is its own class; once it does, the bridge moves its open streams into one class per view
// decision, keeps serving them meanwhile, and they keep receiving changes.
describe('node classes follow the labels views depend on', () => {
  const clients: SotwAdsClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  it('moves open streams of pods differing only in irrelevant labels into one class, without interrupting them', async () => {
    const bridge = await startTestBridge();
    const config = mesh([{ name: 'a' }, { name: 'b' }]);
    await bridge.publish(config, 1);
    const labels = (pod: string) => ({ app: 'db', 'statefulset.kubernetes.io/pod-name': pod });
    const full = (pod: string) => `envoy|${JSON.stringify({ app: 'db', 'statefulset.kubernetes.io/pod-name': pod })}`;
    for (const pod of ['db-0', 'db-1']) {
      const client = new SotwAdsClient({ port: bridge.ads.port, node: { id: pod, userAgentName: 'envoy', labels: labels(pod) } });
      clients.push(client);
    }
    // The streams identify themselves with their first request; then the edge maps their classes.
    for (let i = 0; i < 100 && !(bridge.store.usersOf(full('db-0')) && bridge.store.usersOf(full('db-1'))); i++) await new Promise((r) => setTimeout(r, 20));
    bridge.store.apply({ revision: 1, classViews: new Map([[full('db-0'), 'envoy|mesh'], [full('db-1'), 'envoy|mesh']]), snapshots: new Map() });
    for (const c of clients) await c.waitFor(() => c.held('clusters').size === 2, 5000);
    expect(bridge.store.usersOf(full('db-0'))).toBe(1);

    // The edge names the labels views read: both streams move to one class.
    bridge.store.apply({ revision: 2, classViews: new Map(), snapshots: new Map(), labelKeys: ['app'] });
    expect(bridge.store.usersOf('envoy|{"app":"db"}')).toBe(2);
    expect(bridge.store.usersOf(full('db-0'))).toBe(0);
    bridge.store.apply({ revision: 2, classViews: new Map([['envoy|{"app":"db"}', 'envoy|mesh']]), snapshots: new Map() });

    // Still served: a change reaches both.
    await bridge.publish(mesh([{ name: 'a' }, { name: 'b' }, { name: 'c' }]), 3);
    for (const c of clients) await c.waitFor(() => c.held('clusters').has(cl('c')), 5000);
  });
});

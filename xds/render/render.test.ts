import { describe, expect, it } from 'vitest';
import { translateIntents } from '../translate/to-ir';
import type { IntentObject } from '../intent/types';
import { renderView, versionFor } from './render';

const se = (name: string, endpoints: object[], port = 9080): IntentObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [`${name}.default.svc.cluster.local`], resolution: 'STATIC', ports: [{ number: port, name: 'http', protocol: 'HTTP' }], endpoints },
});
const dr: IntentObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
};
const vs = (w1: number, w2: number): IntentObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: {
    hosts: ['reviews.default.svc.cluster.local'],
    http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1', port: { number: 9080 } }, weight: w1 }, { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2', port: { number: 9080 } }, weight: w2 }] }],
  },
});
const base = [se('reviews', [{ address: '10.0.0.1', labels: { version: 'v1' } }, { address: '10.0.0.2', labels: { version: 'v2' } }]), se('ratings', [{ address: '10.0.1.1' }], 7070), dr];
const render = (objects: IntentObject[], mode: 'ads' | 'rest' = 'ads') =>
  renderView(translateIntents(objects).ir, { client: 'envoy', gateways: [] }, mode === 'ads' ? { mode } : { mode, xdsCluster: 'xds', refreshDelay: '1s' });

describe('versions', () => {
  it('are deterministic for the same intents', () => {
    expect(render([...base, vs(80, 20)]).types.routes.version).toBe(render([...base, vs(80, 20)]).types.routes.version);
  });

  it('change only for routes when a weight changes', () => {
    const before = render([...base, vs(80, 20)]);
    const after = render([...base, vs(50, 50)]);
    expect(after.types.routes.version).not.toBe(before.types.routes.version);
    for (const type of ['clusters', 'endpoints', 'listeners'] as const) expect(after.types[type].version).toBe(before.types[type].version);
  });

  it('of a named route config ignore changes to other route configs (reviews is only on 9080)', () => {
    const before = render([...base, vs(80, 20)]);
    const after = render([...base, vs(50, 50)]);
    expect(versionFor(after, 'routes', ['7070'])).toBe(versionFor(before, 'routes', ['7070']));
    expect(versionFor(after, 'routes', ['9080'])).not.toBe(versionFor(before, 'routes', ['9080']));
  });

  it('of an endpoint change touch only that cluster assignment', () => {
    const before = render(base);
    const after = render([se('reviews', [{ address: '10.0.0.1', labels: { version: 'v1' } }, { address: '10.0.0.3', labels: { version: 'v2' } }]), base[1]!, dr]);
    expect(after.types.clusters.version).toBe(before.types.clusters.version);
    expect(versionFor(after, 'endpoints', ['outbound|7070||ratings.default.svc.cluster.local'])).toBe(versionFor(before, 'endpoints', ['outbound|7070||ratings.default.svc.cluster.local']));
    expect(versionFor(after, 'endpoints', ['outbound|9080|v2|reviews.default.svc.cluster.local'])).not.toBe(versionFor(before, 'endpoints', ['outbound|9080|v2|reviews.default.svc.cluster.local']));
  });

  it('of an endpoint change for a REST poller are its clusters: endpoints are inline, never polled over EDS', () => {
    const before = render(base, 'rest');
    const after = render([se('reviews', [{ address: '10.0.0.1', labels: { version: 'v1' } }, { address: '10.0.0.3', labels: { version: 'v2' } }]), base[1]!, dr], 'rest');
    expect(before.types.endpoints.resources.size).toBe(0);
    expect(after.types.clusters.version).not.toBe(before.types.clusters.version);
    const v2 = after.types.clusters.resources.get('outbound|9080|v2|reviews.default.svc.cluster.local')!.json;
    expect(v2.type).toBe('STATIC');
    expect(JSON.stringify(v2.load_assignment)).toContain('10.0.0.3');
    expect(after.types.clusters.resources.get('outbound|7070||ratings.default.svc.cluster.local')!.hash).toBe(before.types.clusters.resources.get('outbound|7070||ratings.default.svc.cluster.local')!.hash);
  });

  it('are never empty, even for names that do not exist', () => {
    expect(versionFor(render(base), 'endpoints', ['nope'])).toMatch(/^[0-9a-f]{16}$/);
  });
});

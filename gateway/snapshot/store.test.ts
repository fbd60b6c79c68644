import { describe, expect, it } from 'vitest';
import { nodeClassOf } from '../../xds';
import { SnapshotStore } from './store';

describe('SnapshotStore', () => {
  it('takes a change listener per stream without warning of a leak', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = new SnapshotStore();
      for (let i = 0; i < 1000; i++) store.on('change', () => {});
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('nodeClassOf', () => {
  it('keeps the key of a class without namespace or locality, and tells namespaces and localities apart', () => {
    const plain = nodeClassOf({ id: 'a', userAgentName: 'gRPC Node Pure JS', userAgentVersion: '1.14.1', labels: { b: '2', a: '1' } });
    expect(plain.key).toBe('grpc|{"a":"1","b":"2"}');
    const a = nodeClassOf({ id: 'a', userAgentName: 'envoy', labels: {}, namespace: 'shop', locality: { region: 'r1', zone: 'z1' } });
    const b = nodeClassOf({ id: 'b', userAgentName: 'envoy', labels: {}, namespace: 'shop', locality: { region: 'r1', zone: 'z2' } });
    expect(a.key).not.toBe(b.key);
    expect(a.node).toEqual({ user_agent_name: 'envoy', labels: {}, namespace: 'shop', locality: { region: 'r1', zone: 'z1' } });
  });

  it('tells gRPC clients that need their views adapted apart, as one node to the edge', () => {
    const ccore = nodeClassOf({ id: 'c', userAgentName: 'gRPC C-core linux Python', userAgentVersion: 'C-core 29.0.0 Python 1.51.1', labels: { a: '1' } });
    expect(ccore.key).toBe('grpc|{"a":"1"}|~legacy-header-matchers+total-weight');
    expect(ccore.profile).toBe('legacy-header-matchers+total-weight');
    const js = nodeClassOf({ id: 'j', userAgentName: 'gRPC Node Pure JS', userAgentVersion: '1.14.1', labels: { a: '1' } });
    expect(js.profile).toBeUndefined();
    expect(ccore.node).toEqual(js.node);
  });

  it('gives a class the view of a class differing only in profile, before the edge answers', () => {
    const store = new SnapshotStore();
    const where = { labels: {}, locality: { region: 'r1' } };
    const js = nodeClassOf({ id: 'j', userAgentName: 'gRPC Node Pure JS', userAgentVersion: '1.14.1', ...where });
    store.restoreClasses([{ nodeClass: js, view: 'grpc|mesh|loc:r1' }]);
    store.use(nodeClassOf({ id: 'c', userAgentName: 'gRPC C-core linux Python', userAgentVersion: 'C-core 29.0.0 Python 1.51.1', ...where }));
    expect(store.classViews().map((c) => c.view)).toEqual(['grpc|mesh|loc:r1', 'grpc|mesh|loc:r1']);
  });

  it('serves a gRPC class the mesh view before the edge answers only when no dimension can apply', () => {
    const store = new SnapshotStore();
    store.use(nodeClassOf({ id: 'a', userAgentName: 'gRPC', labels: {} }));
    store.use(nodeClassOf({ id: 'b', userAgentName: 'gRPC', labels: {}, locality: { region: 'r1' } }));
    expect(store.classViews().map((c) => c.view)).toEqual(['grpc|mesh']);
  });
});

describe('classes by the labels views depend on', () => {
  const pod = (name: string) => ({ id: name, userAgentName: 'envoy', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': name } });

  it('counts every label until the edge names the ones views read, then only those', () => {
    const store = new SnapshotStore();
    expect(store.classOf(pod('db-0')).key).not.toBe(store.classOf(pod('db-1')).key);
    store.apply({ revision: 1, classViews: new Map(), snapshots: new Map(), labelKeys: ['app', 'istio'] });
    expect(store.classOf(pod('db-0')).key).toBe('envoy|{"app":"db"}');
    expect(store.classOf(pod('db-1')).key).toBe('envoy|{"app":"db"}');
    expect(store.classOf(pod('db-1')).node.labels).toEqual({ app: 'db' });
  });

  it('keeps the label keys it knows when an answer does not carry them', () => {
    const store = new SnapshotStore();
    store.apply({ revision: 1, classViews: new Map(), snapshots: new Map(), labelKeys: ['app'] });
    store.apply({ revision: 2, classViews: new Map(), snapshots: new Map() });
    expect(store.labelKeys).toEqual(['app']);
  });
});

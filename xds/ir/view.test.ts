import { describe, expect, it } from 'vitest';
import type { IntentObject } from '../intent/types';
import { translateIntents } from '../translate/to-ir';
import { nodeInfoFromRequest } from './node';
import { parseView, renderedFormOf, selectView, viewKey, viewLabelKeys } from './view';

const obj = (kind: string, name: string, namespace: string, spec: object): IntentObject => ({ apiVersion: 'networking.istio.io/v1', kind: kind as never, metadata: { name, namespace }, spec: spec as never });
const se = (name: string, namespace: string, extra: object = {}) =>
  obj('ServiceEntry', name, namespace, { hosts: [`${name}.${namespace}.svc`], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1', locality: 'r1/z1' }], ...extra });

describe('view keys', () => {
  it('round-trip every dimension, and stay as before without them', () => {
    expect(viewKey({ client: 'envoy', gateways: [] })).toBe('envoy|mesh');
    for (const key of ['envoy|mesh', 'grpc|mesh', 'envoy|gw:a/b,c/d', 'envoy|mesh|ns:bookinfo|loc:eu-west1/eu-west1-a|src:2,5', 'grpc|mesh|loc:r%7C1/%2Fz', 'envoy|gw:a/b|src:0', 'grpc|mesh|loc:r1|lbl:a%3Db=x%2Cy,tier=a']) {
      expect(viewKey(parseView(key))).toBe(key);
    }
    expect(parseView('grpc|mesh|loc:r%7C1/%2Fz').locality).toEqual(['r|1', '/z']);
    expect(parseView('grpc|mesh|lbl:a%3Db=x%2Cy,tier=a').labels).toEqual({ 'a=b': 'x,y', tier: 'a' });
    expect(viewKey({ client: 'envoy', gateways: [], labels: { z: '1', 'app.kubernetes.io/v': '2' } })).toBe('envoy|mesh|lbl:app.kubernetes.io%2Fv=2,z=1');
    for (const bad of ['x|mesh', 'envoy|mesh|ns:', 'envoy|mesh|src:a', 'envoy|mesh|zz:1', 'envoy|mesh|ns:a|ns:b', 'envoy|mesh|lbl:a', 'envoy|mesh|lbl:a=', 'envoy|mesh|lbl:a=1|lbl:b=2']) expect(() => parseView(bad)).toThrow();
  });
});

describe('selectView dimensions', () => {
  const node = (metadata: object, locality?: object) => nodeInfoFromRequest({ id: 'n', user_agent_name: 'envoy', metadata, ...(locality ? { locality } : {}) });

  it('adds none when the config needs none', () => {
    const { ir } = translateIntents([se('a', 'x')]);
    expect(viewKey(selectView(ir, node({ NAMESPACE: 'x', labels: { app: 'web' } }, { region: 'r1', zone: 'z1' })))).toBe('envoy|mesh');
  });

  it('adds the namespace only for namespaces exportTo sets apart, and the locality at the depth compared', () => {
    const dr = obj('DestinationRule', 'a', 'x', { host: 'a.x.svc', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 }, loadBalancer: { localityLbSetting: { enabled: true } } } });
    const { ir, errors } = translateIntents([se('a', 'x'), se('b', 'y', { exportTo: ['.'] }), dr]);
    expect(errors).toEqual([]);
    expect(viewKey(selectView(ir, node({ NAMESPACE: 'y' }, { region: 'r1', zone: 'z1', sub_zone: 's1' })))).toBe('envoy|mesh|ns:y|loc:r1/z1');
    expect(viewKey(selectView(ir, node({ namespace: 'other' }, { region: 'r1' })))).toBe('envoy|mesh|loc:r1');
    expect(viewKey(selectView(ir, node({})))).toBe('envoy|mesh');
  });

  it("adds a gateway proxy's namespace when its Gateway names a credentialName (its Secret is that namespace's), rendered as the view without it", () => {
    const gw = (name: string, tls: object) => obj('Gateway', name, 'default', { selector: { istio: name }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls }] });
    const { ir, errors } = translateIntents([gw('cred', { mode: 'SIMPLE', credentialName: 'c' }), gw('files', { mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' })]);
    expect(errors).toEqual([]);
    const cred = selectView(ir, node({ NAMESPACE: 'istio-system', labels: { istio: 'cred' } }));
    expect(viewKey(cred)).toBe('envoy|gw:default/cred|ns:istio-system');
    expect(viewKey(renderedFormOf(ir, cred))).toBe('envoy|gw:default/cred');
    expect(viewKey(selectView(ir, node({ labels: { istio: 'cred' } })))).toBe('envoy|gw:default/cred');
    expect(viewKey(selectView(ir, node({ NAMESPACE: 'istio-system', labels: { istio: 'files' } })))).toBe('envoy|gw:default/files');
    expect(viewKey(selectView(ir, node({ NAMESPACE: 'istio-system' })))).toBe('envoy|mesh');
  });

  it('adds the labels failoverPriority compares (and the locality parts it reads), and lists them in viewLabelKeys', () => {
    const dr = obj('DestinationRule', 'a', 'x', {
      host: 'a.x.svc',
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 }, loadBalancer: { localityLbSetting: { failoverPriority: ['tier', 'topology.kubernetes.io/zone', 'track=canary'] } } },
    });
    const { ir, errors } = translateIntents([se('a', 'x'), dr]);
    expect(errors).toEqual([]);
    expect(ir.priorityLabelKeys).toEqual(['tier']);
    expect(viewLabelKeys(ir)).toEqual(['tier']);
    expect(viewKey(selectView(ir, node({ labels: { tier: 'a', track: 'stable', pod: 'p-1' } }, { region: 'r1', zone: 'z1', sub_zone: 's' })))).toBe('envoy|mesh|loc:r1/z1|lbl:tier=a');
    expect(viewKey(selectView(ir, node({ labels: { tier: '' } })))).toBe('envoy|mesh');
  });
});

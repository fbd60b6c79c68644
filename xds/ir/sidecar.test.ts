import { describe, expect, it } from 'vitest';
import type { IntentObject } from '../intent/types';
import { translateIntents } from '../translate/to-ir';
import { nodeInfoFromRequest } from './node';
import { hostSubsetOf, hostsOverlap, listenerImportsHost, listenerImportsVirtualService, sidecarAllowsHost } from './sidecar-hosts';
import { sidecarScope } from './sidecar-scope';
import type { SidecarIR } from './sidecar';
import { defaultViews, parseView, selectView, viewKey, viewLabelKeys } from './view';

const obj = (kind: string, name: string, namespace: string, spec: object): IntentObject => ({ apiVersion: 'networking.istio.io/v1', kind: kind as never, metadata: { name, namespace }, spec: spec as never });
const se = (name: string, namespace: string, ports = [{ number: 80, name: 'http', protocol: 'HTTP' }]) =>
  obj('ServiceEntry', name, namespace, { hosts: [`${name}.${namespace}.svc`], resolution: 'STATIC', ports, endpoints: [{ address: '10.0.0.1' }] });
const sidecar = (name: string, namespace: string, hosts: string[], extra: object = {}) => obj('Sidecar', name, namespace, { egress: [{ hosts }], ...extra });
const node = (metadata: object, userAgentName = 'envoy') => nodeInfoFromRequest({ id: 'n', user_agent_name: userAgentName, metadata });
const keyOf = (objects: IntentObject[], metadata: object, userAgentName?: string) => {
  const { ir, errors } = translateIntents(objects);
  expect(errors).toEqual([]);
  return viewKey(selectView(ir, node(metadata, userAgentName)));
};

describe('egress host matching (Istio: SubsetOf for services, Matches for VirtualServices)', () => {
  it('matches a service host that is a subset of the entry', () => {
    expect(hostSubsetOf('a.example.com', '*')).toBe(true);
    expect(hostSubsetOf('a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('a.b.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('example.com', '*.example.com')).toBe(false);
    expect(hostSubsetOf('a.example.com', 'a.example.com')).toBe(true);
    expect(hostSubsetOf('*.example.com', 'a.example.com')).toBe(false);
    expect(hostSubsetOf('*.a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('*.example.com', '*.a.example.com')).toBe(false);
    expect(hostsOverlap('*.example.com', 'a.example.com')).toBe(true);
    expect(hostsOverlap('*.example.com', '*.a.example.com')).toBe(true);
    expect(hostsOverlap('a.example.com', 'b.example.com')).toBe(false);
  });

  it('compares the service\'s namespace, resolves "." to the config namespace, and lets "~" entries exclude', () => {
    const listener = { hosts: [{ namespace: '.', host: '*' }, { namespace: 'data', host: '*.data.svc' }, { namespace: 'data', host: 'secret.data.svc', exclude: true as const }, { namespace: '*', host: '*.internal', exclude: true as const }] };
    expect(listenerImportsHost(listener, 'web.front.svc', 'front', 'front')).toBe(true);
    expect(listenerImportsHost(listener, 'web.front.svc', 'front', 'other')).toBe(false);
    expect(listenerImportsHost(listener, 'web.front.svc', 'front')).toBe(false);
    expect(listenerImportsHost(listener, 'store.data.svc', 'data', 'front')).toBe(true);
    expect(listenerImportsHost(listener, 'secret.data.svc', 'data', 'front')).toBe(false);
    // The same host declared in another namespace is not data's.
    expect(listenerImportsHost(listener, 'store.data.svc', 'elsewhere', 'front')).toBe(false);
    expect(listenerImportsHost(listener, 'a.internal', 'front', 'front')).toBe(false);
    expect(listenerImportsVirtualService(listener, ['*.data.svc'], 'data', 'front')).toBe(true);
    expect(listenerImportsVirtualService(listener, ['other.example.com'], 'data', 'front')).toBe(false);
    expect(listenerImportsVirtualService(listener, ['secret.data.svc'], 'data', 'front')).toBe(false);
  });

  it('takes a port\'s hosts from the listener for that port, else the catch-all', () => {
    const sc: SidecarIR = { key: 'ns/s', source: 'Sidecar/ns/s', namespace: 'ns', egress: [{ port: 9080, hosts: [{ namespace: 'ns', host: 'a.ns.svc' }] }, { hosts: [{ namespace: '*', host: '*' }] }] };
    expect(sidecarAllowsHost(sc, 'b.ns.svc', 'ns', 9080, 'ns')).toBe(false);
    expect(sidecarAllowsHost(sc, 'a.ns.svc', 'ns', 9080, 'ns')).toBe(true);
    expect(sidecarAllowsHost(sc, 'b.ns.svc', 'ns', 9090, 'ns')).toBe(true);
    const portOnly: SidecarIR = { ...sc, egress: [sc.egress[0]!] };
    expect(sidecarAllowsHost(portOnly, 'a.ns.svc', 'ns', 9090, 'ns')).toBe(false);
    expect(sidecarAllowsHost(portOnly, 'a.ns.svc', 'ns', undefined, 'ns')).toBe(true);
  });
});

describe('which Sidecar a proxy gets', () => {
  const objects = [
    se('a', 'bookinfo'),
    sidecar('default', 'istio-system', ['istio-system/*']),
    sidecar('default', 'bookinfo', ['./*']),
    sidecar('web', 'bookinfo', ['./*'], { workloadSelector: { labels: { app: 'web' } } }),
    sidecar('web-2', 'bookinfo', ['./*'], { workloadSelector: { labels: { app: 'web', tier: 'front' } } }),
    sidecar('only-selected', 'shop', ['./*'], { workloadSelector: { labels: { app: 'cart' } } }),
  ];

  it('prefers a matching workloadSelector, then the namespace-wide one, then the root namespace\'s', () => {
    expect(keyOf(objects, { NAMESPACE: 'bookinfo', labels: { app: 'web' } })).toBe('envoy|mesh|sc:bookinfo/web');
    // Two selectors match: the first by name.
    expect(keyOf(objects, { NAMESPACE: 'bookinfo', labels: { app: 'web', tier: 'front' } })).toBe('envoy|mesh|sc:bookinfo/web');
    expect(keyOf(objects, { NAMESPACE: 'bookinfo', labels: { app: 'other' } })).toBe('envoy|mesh|sc:bookinfo/default');
    expect(keyOf(objects, { namespace: 'shop', labels: { app: 'cart' } })).toBe('envoy|mesh|sc:shop/only-selected');
    expect(keyOf(objects, { namespace: 'shop', labels: { app: 'web' } })).toBe('envoy|mesh|sc:istio-system/default');
    expect(keyOf(objects, {})).toBe('envoy|mesh|sc:istio-system/default');
    expect(keyOf(objects.filter((o) => o.metadata.namespace !== 'istio-system'), { NAMESPACE: 'other' })).toBe('envoy|mesh');
  });

  it('scopes proxyless gRPC clients too, never Gateway proxies', () => {
    const gateway = obj('Gateway', 'ingress', 'istio-system', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
    expect(keyOf(objects, { NAMESPACE: 'bookinfo' }, 'gRPC Go')).toBe('grpc|mesh|sc:bookinfo/default');
    expect(keyOf([...objects, gateway], { NAMESPACE: 'bookinfo', labels: { istio: 'ingressgateway', app: 'web' } })).toBe('envoy|gw:istio-system/ingress');
  });

  it('adds the proxy\'s namespace only for the mesh default that says "."', () => {
    const dot = [se('a', 'bookinfo'), sidecar('default', 'istio-system', ['./*'])];
    expect(keyOf(dot, { NAMESPACE: 'bookinfo' })).toBe('envoy|mesh|ns:bookinfo|sc:istio-system/default');
    expect(keyOf(dot, {})).toBe('envoy|mesh|sc:istio-system/default');
    expect(keyOf([se('a', 'bookinfo'), sidecar('default', 'bookinfo', ['./*'])], { NAMESPACE: 'bookinfo' })).toBe('envoy|mesh|sc:bookinfo/default');
  });

  it('lists workloadSelector keys in viewLabelKeys and pre-renders every Sidecar view', () => {
    const { ir } = translateIntents(objects);
    expect(viewLabelKeys(ir)).toEqual(['app', 'tier']);
    expect(defaultViews(ir).map(viewKey)).toEqual([
      'envoy|mesh', 'grpc|mesh',
      'envoy|mesh|sc:bookinfo/default', 'grpc|mesh|sc:bookinfo/default',
      'envoy|mesh|sc:bookinfo/web', 'grpc|mesh|sc:bookinfo/web',
      'envoy|mesh|sc:bookinfo/web-2', 'grpc|mesh|sc:bookinfo/web-2',
      'envoy|mesh|sc:istio-system/default', 'grpc|mesh|sc:istio-system/default',
      'envoy|mesh|sc:shop/only-selected', 'grpc|mesh|sc:shop/only-selected',
    ]);
    const dot = translateIntents([se('a', 'bookinfo'), se('b', 'shop'), sidecar('default', 'istio-system', ['./*']), sidecar('default', 'shop', ['*/*'])]).ir;
    expect(defaultViews(dot).filter((v) => v.client === 'envoy').map(viewKey)).toEqual([
      'envoy|mesh', 'envoy|mesh|sc:istio-system/default', 'envoy|mesh|ns:bookinfo|sc:istio-system/default', 'envoy|mesh|ns:istio-system|sc:istio-system/default', 'envoy|mesh|sc:shop/default',
    ]);
  });

  it('round-trips the sc dimension in view keys', () => {
    for (const key of ['envoy|mesh|sc:a/b', 'grpc|mesh|ns:x|sc:istio-system/default|loc:r1']) expect(viewKey(parseView(key))).toBe(key);
    for (const bad of ['envoy|mesh|sc:a', 'envoy|mesh|sc:a/b/c', 'envoy|mesh|sc:a/b|sc:c/d']) expect(() => parseView(bad)).toThrow();
  });
});

describe('sidecarScope', () => {
  const vs = obj('VirtualService', 'a', 'bookinfo', { hosts: ['a.bookinfo.svc'], http: [{ route: [{ destination: { host: 'pay.shop.svc' } }] }] });
  const { ir } = translateIntents([se('a', 'bookinfo'), se('b', 'bookinfo', [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 81, name: 'admin', protocol: 'HTTP' }]), se('pay', 'shop'), se('c', 'other'), vs, sidecar('default', 'bookinfo', ['./*'])]);

  it('allows the imported hosts and the clusters their routes reach, nothing else', () => {
    const scope = sidecarScope(ir, 'bookinfo/default')!;
    expect(scope.allowsHost('a.bookinfo.svc', 'bookinfo')).toBe(true);
    expect(scope.allowsHost('b.bookinfo.svc', 'bookinfo', 81)).toBe(true);
    expect(scope.allowsHost('pay.shop.svc', 'shop')).toBe(false);
    expect(['outbound|80||a.bookinfo.svc', 'outbound|80||b.bookinfo.svc', 'outbound|81||b.bookinfo.svc', 'outbound|80||pay.shop.svc', 'outbound|80||c.other.svc'].map(scope.allowsCluster)).toEqual([true, true, true, true, false]);
    expect(scope.ir.meshPorts.flatMap((p) => (p.kind === 'http' ? p.virtualHosts.map((vh) => vh.name) : []))).toEqual(['a.bookinfo.svc:80', 'b.bookinfo.svc:80', 'b.bookinfo.svc:81']);
    expect(scope.ir.grpcTargets.map((t) => t.listener)).toEqual(['a.bookinfo.svc', 'a.bookinfo.svc:80', 'b.bookinfo.svc:80', 'b.bookinfo.svc:81']);
    expect(sidecarScope(ir, 'bookinfo/missing')).toBeUndefined();
  });
});

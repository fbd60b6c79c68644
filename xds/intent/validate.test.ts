import { describe, expect, it } from 'vitest';
import { errorsOf } from './test-utils';
import { validateIntent } from './validate';

const gateway = () => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'edge' } as Record<string, unknown>,
  spec: { selector: { app: 'edge' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
});

describe('validateIntent', () => {
  it('fills a missing namespace from the options, else "default"', () => {
    const inNs = validateIntent(gateway(), { namespace: 'edge-system' });
    expect(inNs.ok && inNs.object.metadata).toEqual({ name: 'edge', namespace: 'edge-system' });
    const plain = validateIntent(gateway());
    expect(plain.ok && plain.object.metadata).toEqual({ name: 'edge', namespace: 'default' });
  });

  it('refuses a namespace that differs from the one written to', () => {
    const object = gateway();
    object.metadata.namespace = 'prod';
    expect(errorsOf(validateIntent(object, { namespace: 'staging' }))).toEqual([
      { path: 'metadata.namespace', message: 'namespace "prod" does not match the namespace "staging" it is written to' },
    ]);
    expect(errorsOf(validateIntent(object, { namespace: 'prod' }))).toEqual([]);
  });

  it('accepts a GET result back: server fields and status are dropped', () => {
    const object = {
      ...gateway(),
      metadata: {
        name: 'edge',
        namespace: 'default',
        labels: { team: 'net' },
        annotations: { 'example.com/owner': 'net team' },
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2025-01-01T00:00:00Z',
        uid: '5b0c6b2e-0000-4000-8000-000000000000',
      },
      status: { observedGeneration: 3 },
    };
    const result = validateIntent(object);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      object: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'edge', namespace: 'default', labels: { team: 'net' }, annotations: { 'example.com/owner': 'net team' } },
        spec: gateway().spec,
      },
    });
  });

  it('refuses bad metadata with Kubernetes naming rules', () => {
    const object = gateway();
    object.metadata = { name: 'Edge_1', namespace: 'a.b', labels: { 'bad key!': 'x', ok: 'not ok' }, finalizers: ['x'] };
    expect(errorsOf(validateIntent(object))).toEqual([
      { path: 'metadata.name', message: 'must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit' },
      { path: 'metadata.namespace', message: 'must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit' },
      { path: 'metadata.labels["bad key!"]', message: expect.stringMatching(/^invalid label key "bad key!"/) },
      { path: 'metadata.labels.ok', message: expect.stringMatching(/^invalid label value "not ok"/) },
      { path: 'metadata.finalizers', message: '"finalizers" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('requires metadata.name and spec', () => {
    expect(errorsOf(validateIntent({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {} }))).toEqual([
      { path: 'metadata.name', message: 'required' },
      { path: 'spec', message: 'required' },
    ]);
  });

  it('refuses unknown kinds and API versions', () => {
    expect(errorsOf(validateIntent({ apiVersion: 'v1', kind: 'Service' }))).toEqual([
      { path: 'apiVersion', message: 'expected one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3; got string "v1"' },
      { path: 'kind', message: 'unsupported kind string "Service"; expected one of ServiceEntry, DestinationRule, VirtualService, Gateway, EnvoyFilter, Sidecar' },
    ]);
    expect(errorsOf(validateIntent({ ...gateway(), apiVersion: 'networking.istio.io/v2' }))).toEqual([
      { path: 'apiVersion', message: 'expected one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3; got string "networking.istio.io/v2"' },
    ]);
  });

  it('refuses what is not an object, and wrong types anywhere, saying expected and got', () => {
    expect(errorsOf(validateIntent([gateway()]))).toEqual([{ path: '', message: 'expected an object, got array' }]);
    expect(errorsOf(validateIntent({ ...gateway(), spec: { ...gateway().spec, servers: { port: 80 } } }))).toEqual([
      { path: 'spec.servers', message: 'expected array, got object' },
    ]);
    expect(errorsOf(validateIntent({ ...gateway(), metadata: { name: 'edge', labels: ['a'] } }))).toEqual([
      { path: 'metadata.labels', message: 'expected object, got array' },
    ]);
  });

  it('prefixes every path with the document index', () => {
    expect(errorsOf(validateIntent({ ...gateway(), extra: true }, { path: '[2]' }))).toEqual([{ path: '[2].extra', message: 'unknown field "extra"' }]);
    expect(errorsOf(validateIntent('x', { path: '[2].' }))).toEqual([{ path: '[2]', message: 'expected an object, got string "x"' }]);
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'r' },
      spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'a' }, weight: 1 }, { destination: { host: 'b' }, weight: 2 }] }] },
    };
    const result = validateIntent(vs, { path: '[0]' });
    expect(result.ok && result.warnings).toEqual([{ path: '[0].spec.http[0].route', message: 'weights sum to 3; each destination gets weight/sum' }]);
  });
});

describe('fields accepted but not acted on yet', () => {
  it('are named in warnings instead of being ignored silently', () => {
    const result = validateIntent({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'db', namespace: 'shop' },
      spec: { hosts: ['db.shop.svc'], addresses: ['10.9.0.1'], exportTo: ['.'], resolution: 'STATIC', ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }], endpoints: [{ address: '10.1.0.1', network: 'n2' }] },
    });
    expect(result.ok && result.warnings).toEqual([
      { path: 'spec.addresses', message: 'addresses are stored but not used yet: listeners match on port, not on these addresses' },
      { path: 'spec.endpoints[0].network', message: 'network is stored but not used: endpoints are treated as one network' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { refsOf } from '../publish/refs';
import type { IntentObject } from './types';
import { qualifyHost, withQualifiedHosts } from './short-names';

const vs = (namespace: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace }, spec }) as IntentObject;

describe("Istio's short host names", () => {
  it('resolves a name without a dot against the namespace, and keeps *, IPs and dotted names', () => {
    expect(qualifyHost('reviews', 'default')).toBe('reviews.default.svc.cluster.local');
    expect(qualifyHost('reviews.default', 'shop')).toBe('reviews.default');
    expect(qualifyHost('*', 'shop')).toBe('*');
    expect(qualifyHost('*.shop.svc.cluster.local', 'shop')).toBe('*.shop.svc.cluster.local');
    expect(qualifyHost('10.0.0.1', 'shop')).toBe('10.0.0.1');
    expect(qualifyHost('::1', 'shop')).toBe('::1');
  });

  it('resolves every host a VirtualService names: hosts, http/tcp/tls destinations, mirror and mirrors', () => {
    const written = vs('shop', {
      hosts: ['ratings', 'ratings.example.com'],
      http: [{ route: [{ destination: { host: 'ratings', subset: 'v1' }, weight: 100 }], mirror: { host: 'audit' }, mirrors: [{ destination: { host: 'shadow' }, percentage: { value: 5 } }] }],
      tcp: [{ route: [{ destination: { host: 'db', port: { number: 5432 } } }] }],
      tls: [{ match: [{ sniHosts: ['ratings.example.com'] }], route: [{ destination: { host: 'tls-backend' } }] }],
    });
    const q = withQualifiedHosts(written).spec as any;
    const fq = (h: string) => `${h}.shop.svc.cluster.local`;
    expect(q.hosts).toEqual([fq('ratings'), 'ratings.example.com']);
    expect(q.http[0].route[0].destination).toEqual({ host: fq('ratings'), subset: 'v1' });
    expect(q.http[0].mirror).toEqual({ host: fq('audit') });
    expect(q.http[0].mirrors[0]).toEqual({ destination: { host: fq('shadow') }, percentage: { value: 5 } });
    expect(q.tcp[0].route[0].destination).toEqual({ host: fq('db'), port: { number: 5432 } });
    expect(q.tls[0].route[0].destination.host).toBe(fq('tls-backend'));
    // The stored object stays as written (what GET returns, as Kubernetes keeps it).
    expect((written.spec as any).hosts[0]).toBe('ratings');
  });

  it('resolves a DestinationRule host, and leaves fully qualified objects and ServiceEntries untouched', () => {
    const dr = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r', namespace: 'default' }, spec: { host: 'reviews' } } as IntentObject;
    expect((withQualifiedHosts(dr).spec as any).host).toBe('reviews.default.svc.cluster.local');
    const fqdn = vs('shop', { hosts: ['a.shop.svc.cluster.local'], http: [{ route: [{ destination: { host: 'a.shop.svc.cluster.local' } }] }] });
    expect(withQualifiedHosts(fqdn)).toBe(fqdn);
    const se = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'legacy', namespace: 'shop' }, spec: { hosts: ['legacy'] } } as IntentObject;
    expect(withQualifiedHosts(se)).toBe(se);
  });

  it('indexes what a short name means, so a write finds the objects it reaches', () => {
    const refs = refsOf(vs('default', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] }));
    expect(refs).toEqual(expect.arrayContaining([{ role: 'vshost', ref: 'reviews.default.svc.cluster.local' }, { role: 'dest', ref: 'reviews.default.svc.cluster.local' }]));
  });
});

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spiffeIdOfCertificate } from '../../gateway/auth/peer-identity';
import { makeMeshCerts } from '../support/spiffe-certs';

// The identity the bridge reads off a verified client certificate (real certificates made by openssl).
const certs = makeMeshCerts();
const der = (spiffe: string) => new X509Certificate(certs.read(certs.workload(spiffe.replace(/\W+/g, '-').slice(0, 60), spiffe).cert)).raw;

describe('spiffeIdOfCertificate', () => {
  it('is the one SPIFFE ID in the URI SAN, of the trust domain served', () => {
    expect(spiffeIdOfCertificate(der('spiffe://cluster.local/ns/shop/sa/web'), 'cluster.local')).toEqual({ ok: true, identity: 'spiffe://cluster.local/ns/shop/sa/web' });
    expect(spiffeIdOfCertificate(der('spiffe://prod.example/ns/shop/sa/web'), 'cluster.local')).toEqual({ ok: false, error: 'the certificate is of trust domain prod.example; this bridge trusts cluster.local' });
  });

  it('refuses two URI SANs, a URI that is no Istio SPIFFE ID, and bytes that are no certificate', () => {
    expect(spiffeIdOfCertificate(der('spiffe://cluster.local/ns/a/sa/b,URI:spiffe://cluster.local/ns/c/sa/d'), 'cluster.local')).toMatchObject({ ok: false, error: expect.stringContaining('exactly one URI SAN') });
    expect(spiffeIdOfCertificate(der('spiffe://cluster.local/workload/web'), 'cluster.local')).toMatchObject({ ok: false, error: expect.stringContaining('/ns/<namespace>/sa/<service-account>') });
    expect(spiffeIdOfCertificate(certs.read(certs.server.cert), 'cluster.local')).toMatchObject({ ok: false, error: expect.stringContaining('has 0') });
    expect(spiffeIdOfCertificate(Buffer.from('not a certificate'), 'cluster.local')).toMatchObject({ ok: false, error: expect.stringContaining('cannot be parsed') });
  });
});

import { describe, expect, it } from 'vitest';
import { CA_CERT, EC_CERT, EC_KEY_SEC1, OTHER_KEY_PKCS8, RSA_CERT, RSA_KEY_PKCS1 } from '../../test/support/tls-fixtures';
import { buildEnvoySecret } from './envoy-secret';
import { validateTlsSecret } from './tls-secret';

const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-cert' }, type: 'kubernetes.io/tls', stringData: data, ...extra });
const b64 = (s: string) => btoa(s);

describe('validateTlsSecret', () => {
  it('reads the leaf subject, SANs and expiry from an RSA chain with a PKCS#1 key and a CA', async () => {
    const r = await validateTlsSecret(secret({ 'tls.crt': RSA_CERT + CA_CERT, 'tls.key': RSA_KEY_PKCS1, 'ca.crt': CA_CERT }));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.secret.certificate).toMatchObject({
      subject: 'CN=shop.example.com,O=Example Inc,C=US',
      issuer: 'CN=xdsflare test CA,O=xdsflare test',
      subjectAltNames: ['DNS:shop.example.com', 'DNS:*.shop.example.com', 'IP:10.1.2.3', 'URI:spiffe://cluster.local/ns/default/sa/shop'],
      chainLength: 2,
    });
    expect(r.secret.certificate.notAfter).toMatch(/^2126-/);
    expect(r.secret.caCertificate).toMatchObject({ subject: 'CN=xdsflare test CA,O=xdsflare test', count: 1 });
    expect(r.warnings).toEqual([]);
  });

  it('accepts base64 data and a SEC1 EC key', async () => {
    const r = await validateTlsSecret({ ...secret({}), stringData: undefined, data: { 'tls.crt': b64(EC_CERT), 'tls.key': b64(EC_KEY_SEC1) } });
    expect(r.ok && r.secret.certificate.subject).toBe('CN=api.example.org');
  });

  it('refuses a key that belongs to another certificate, naming the field', async () => {
    const r = await validateTlsSecret({ ...secret({}), stringData: undefined, data: { 'tls.crt': b64(RSA_CERT), 'tls.key': b64(OTHER_KEY_PKCS8) } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([{ path: 'data["tls.key"]', message: expect.stringContaining('does not belong to the certificate') }]);
  });

  it('names every bad field', async () => {
    const r = await validateTlsSecret({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'Bad_Name' }, data: { 'tls.crt': '%%%', extra: 'eA==' }, immutable: true });
    expect(!r.ok && r.errors.map((e) => e.path).sort()).toEqual(['data["extra"]', 'data["tls.crt"]', 'immutable', 'metadata.name', 'type']);
  });

  it('refuses swapped fields and garbage PEM', async () => {
    const swapped = await validateTlsSecret(secret({ 'tls.crt': RSA_KEY_PKCS1, 'tls.key': RSA_CERT }));
    expect(!swapped.ok && swapped.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'stringData["tls.crt"]: block 1 is a RSA PRIVATE KEY, not a CERTIFICATE',
      expect.stringMatching(/^stringData\["tls.key"\]: expected a PRIVATE KEY/),
    ]);
    const garbage = await validateTlsSecret(secret({ 'tls.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'tls.key': EC_KEY_SEC1 }));
    expect(!garbage.ok && garbage.errors[0]).toMatchObject({ path: 'stringData["tls.crt"]', message: expect.stringContaining('certificate 1: not a DER X.509 certificate') });
  });
});

describe('buildEnvoySecret', () => {
  it('inlines the PEM bytes, never file names (envoy#7676)', () => {
    const material = { 'tls.crt': EC_CERT, 'tls.key': EC_KEY_SEC1, 'ca.crt': CA_CERT };
    const cert = buildEnvoySecret('kubernetes://api', 'certificate', material) as any;
    expect(atob(cert.tls_certificate.private_key.inline_bytes)).toBe(EC_KEY_SEC1);
    expect(atob((buildEnvoySecret('kubernetes://api-cacert', 'ca', material) as any).validation_context.trusted_ca.inline_bytes)).toBe(CA_CERT);
    expect(buildEnvoySecret('kubernetes://api-cacert', 'ca', { 'tls.crt': EC_CERT, 'tls.key': EC_KEY_SEC1 })).toBeUndefined();
  });
});

import { X509Certificate } from 'node:crypto';
import { parseSpiffeId } from '../../xds';

/**
 * The SPIFFE ID of a client certificate the TLS handshake verified against the CA bundle. An X.509-SVID
 * carries exactly one URI SAN (SPIFFE X509-SVID §2), which must be of this bridge's trust domain; anything
 * else authenticates nobody. Parsed with node:crypto's X509Certificate (OpenSSL's parser), not by hand.
 */
export function spiffeIdOfCertificate(der: Buffer, trustDomain: string): { ok: true; identity: string } | { ok: false; error: string } {
  let san: string | undefined;
  try {
    san = new X509Certificate(der).subjectAltName;
  } catch (err) {
    return { ok: false, error: `the client certificate cannot be parsed: ${err instanceof Error ? err.message : String(err)}` };
  }
  // node:crypto lists SANs as `URI:spiffe://…, DNS:…`, quoting (JSON-style) a value that holds ', '.
  const uris = (san ?? '').split(', ').flatMap((entry) => (entry.startsWith('URI:') ? [entry.slice(4)] : []));
  if (uris.length !== 1) return { ok: false, error: `a workload certificate carries exactly one URI SAN (its SPIFFE ID); this one has ${uris.length}` };
  const parsed = parseSpiffeId(uris[0]!);
  if (!parsed.ok) return { ok: false, error: `the certificate's URI SAN ${JSON.stringify(uris[0])} is not a SPIFFE ID: ${parsed.error}` };
  if (parsed.id.trustDomain !== trustDomain) return { ok: false, error: `the certificate is of trust domain ${parsed.id.trustDomain}; this bridge trusts ${trustDomain}` };
  return { ok: true, identity: parsed.id.uri };
}

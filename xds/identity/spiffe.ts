/**
 * Workload identities as Istio names them: SPIFFE IDs `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`
 * (the URI SAN of a workload certificate, or the identity an xDS token is bound to). One parser for the
 * edge (policies, tokens) and the bridge (peer certificates), so both read an identity the same way.
 */

export interface SpiffeId {
  /** The whole URI, as stored and compared. */
  uri: string;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

// SPIFFE ID spec §2.1: a trust domain is lowercase letters, digits, '.', '-' and '_'; path segments add uppercase.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The Istio-form SPIFFE ID in `text`, or a reason it is not one. */
export function parseSpiffeId(text: string): { ok: true; id: SpiffeId } | { ok: false; error: string } {
  if (text.length > 2048) return { ok: false, error: 'a SPIFFE ID has at most 2048 characters' };
  const m = /^spiffe:\/\/([^/]*)\/(.*)$/.exec(text);
  if (!m) return { ok: false, error: 'must be spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>' };
  const [, trustDomain, path] = m as unknown as [string, string, string];
  if (!TRUST_DOMAIN.test(trustDomain)) return { ok: false, error: `trust domain '${trustDomain}' must be lowercase letters, digits, '.', '-' and '_'` };
  const parts = path.split('/');
  if (parts.length !== 4 || parts[0] !== 'ns' || parts[2] !== 'sa' || !parts.every((p) => SEGMENT.test(p)) || parts.some((p) => p === '.' || p === '..')) {
    return { ok: false, error: 'the path must be /ns/<namespace>/sa/<service-account>, as Istio issues them' };
  }
  return { ok: true, id: { uri: text, trustDomain, namespace: parts[1]!, serviceAccount: parts[3]! } };
}

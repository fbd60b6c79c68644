import { z } from 'zod';
import { isDns1123Subdomain, istioObject } from './common';

const UNSUPPORTED_MODES: Record<string, string> = {
  OPTIONAL_MUTUAL: 'OPTIONAL_MUTUAL is not supported yet; use MUTUAL (client certificate required) or SIMPLE',
};

const ModeSchema = z.enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'AUTO_PASSTHROUGH'], {
  // Not String(input): an object whose toString is not a function cannot be converted (a 500, found by the fuzzer).
  error: (iss) =>
    typeof iss.input !== 'string'
      ? `expected a string (PASSTHROUGH, SIMPLE, MUTUAL, ISTIO_MUTUAL or AUTO_PASSTHROUGH), got ${typeof iss.input}`
      : Object.hasOwn(UNSUPPORTED_MODES, iss.input)
        ? UNSUPPORTED_MODES[iss.input]!
        : `expected PASSTHROUGH, SIMPLE, MUTUAL, ISTIO_MUTUAL or AUTO_PASSTHROUGH, got ${JSON.stringify(iss.input)}`,
});
export type ServerTlsMode = z.infer<typeof ModeSchema>;

/** Istio's TLS versions, and Envoy's name for each. */
export const TLS_VERSIONS = { TLS_AUTO: 'TLS_AUTO', TLSV1_0: 'TLSv1_0', TLSV1_1: 'TLSv1_1', TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3' } as const;
const VERSION_ORDER = Object.keys(TLS_VERSIONS);
const VersionSchema = z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS, ...(keyof typeof TLS_VERSIONS)[]], {
  error: (iss) => `expected one of ${VERSION_ORDER.join(', ')}, got ${JSON.stringify(iss.input)}`,
});

const PathSchema = z.string().min(1, 'must not be empty');
// OpenSSL/BoringSSL cipher names, or Envoy's "[A|B]" equal-preference groups.
const CipherSchema = z.string().regex(/^[[A-Za-z0-9_|\-\]]+$/, 'must be a cipher suite name such as "ECDHE-RSA-AES128-GCM-SHA256"');

const CERT_FIELDS = ['credentialName', 'serverCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'minProtocolVersion', 'maxProtocolVersion', 'cipherSuites'] as const;

/** Istio's ServerTLSSettings: TLS a Gateway server terminates (SIMPLE, MUTUAL), passes through, or redirects to. */
export const ServerTlsSettingsSchema = istioObject(
  {
    httpsRedirect: z.boolean().optional(),
    // Missing means PASSTHROUGH, as in Istio (the enum's zero value).
    mode: ModeSchema.optional(),
    credentialName: z.string().refine(isDns1123Subdomain, 'must be a Secret name (a DNS-1123 subdomain)').optional(),
    serverCertificate: PathSchema.optional(),
    privateKey: PathSchema.optional(),
    caCertificates: PathSchema.optional(),
    subjectAltNames: z.array(z.string().min(1, 'must not be empty')).min(1, 'must not be empty; leave it out to accept any name').optional(),
    minProtocolVersion: VersionSchema.optional(),
    maxProtocolVersion: VersionSchema.optional(),
    cipherSuites: z.array(CipherSchema).min(1, 'must not be empty; leave it out for Envoy’s defaults').optional(),
  },
  ['credentialNames', 'tlsCertificates', 'caCrl', 'verifyCertificateSpki', 'verifyCertificateHash'],
);
export type ServerTlsSettings = z.infer<typeof ServerTlsSettingsSchema>;

/** The settings of a server that terminates or passes TLS (HTTPS, TLS): credentials as its mode needs them. */
export function checkServerTls(tls: ServerTlsSettings, ctx: z.core.$RefinementCtx): void {
  const at = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: ['tls', field], message });
  const given = CERT_FIELDS.filter((k) => tls[k] !== undefined);
  const mode = tls.mode ?? 'PASSTHROUGH';
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    const why = tls.mode ? `${mode} forwards TLS without terminating it` : 'mode is missing, which means PASSTHROUGH (as in Istio): TLS is forwarded without terminating it; set mode SIMPLE or MUTUAL';
    for (const k of given) at(k, `has no effect: ${why}`);
    return;
  }
  if (mode === 'ISTIO_MUTUAL') {
    // The gateway's own workload identity (SDS `default` and `ROOTCA`) is the key pair and the trust, as in Istio: nothing else may stand in for it.
    for (const k of ['credentialName', 'serverCertificate', 'privateKey', 'caCertificates'] as const) if (tls[k] !== undefined) at(k, "is not used with mode ISTIO_MUTUAL: the gateway's workload certificate and root CA come from its SDS provider (use MUTUAL to set them)");
  } else if (tls.credentialName !== undefined) {
    for (const k of ['serverCertificate', 'privateKey', 'caCertificates'] as const) if (tls[k] !== undefined) at(k, 'cannot be combined with credentialName: the secret provides it');
  } else {
    const required = mode === 'MUTUAL' ? (['serverCertificate', 'privateKey', 'caCertificates'] as const) : (['serverCertificate', 'privateKey'] as const);
    for (const k of required) if (tls[k] === undefined) at(k, `required with mode ${mode} (or set credentialName)`);
  }
  if (mode === 'SIMPLE') {
    for (const k of ['caCertificates', 'subjectAltNames'] as const) if (tls[k] !== undefined) at(k, 'verifies client certificates, which only mode MUTUAL asks for');
  }
  if (tls.minProtocolVersion && tls.maxProtocolVersion && tls.minProtocolVersion !== 'TLS_AUTO' && tls.maxProtocolVersion !== 'TLS_AUTO'
    && VERSION_ORDER.indexOf(tls.minProtocolVersion) > VERSION_ORDER.indexOf(tls.maxProtocolVersion)) {
    at('maxProtocolVersion', `${tls.maxProtocolVersion} is below minProtocolVersion ${tls.minProtocolVersion}`);
  }
}

import { z } from 'zod';
import { istioObject } from './common';

const ModeSchema = z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'], {
  error: (iss) => `expected DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL, got ${JSON.stringify(iss.input)}`,
});

const PathSchema = z.string().min(1, 'must not be empty');

/** Istio's ClientTLSSettings: TLS from the proxy to the upstream. */
export const ClientTlsSettingsSchema = istioObject(
  {
    mode: ModeSchema.optional(),
    clientCertificate: PathSchema.optional(),
    privateKey: PathSchema.optional(),
    caCertificates: PathSchema.optional(),
    credentialName: z.string().min(1, 'must not be empty').optional(),
    subjectAltNames: z.array(z.string().min(1, 'must not be empty')).optional(),
    sni: z.string().min(1, 'must not be empty').optional(),
    insecureSkipVerify: z.boolean().optional(),
  },
  ['caCrl'],
).superRefine((tls, ctx) => {
  const mode = tls.mode ?? 'DISABLE';
  const given = (['clientCertificate', 'privateKey', 'caCertificates', 'credentialName', 'subjectAltNames', 'sni', 'insecureSkipVerify'] as const).filter((k) => tls[k] !== undefined);
  const at = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (mode === 'DISABLE') {
    for (const k of given) at(k, 'has no effect with mode DISABLE (set mode SIMPLE or MUTUAL)');
    return;
  }
  if (mode === 'ISTIO_MUTUAL') {
    // The proxy's own workload identity (SDS `default` and `ROOTCA`) is the key pair and the trust: nothing else may stand in for it.
    for (const k of ['clientCertificate', 'privateKey', 'caCertificates', 'credentialName'] as const) {
      if (tls[k] !== undefined) at(k, "is not used with mode ISTIO_MUTUAL: the proxy's workload certificate and root CA come from its SDS provider (use MUTUAL to set them)");
    }
    if (tls.insecureSkipVerify !== undefined) at('insecureSkipVerify', 'is not used with mode ISTIO_MUTUAL: the server is always verified against the workload root CA');
    return;
  }
  if (mode === 'SIMPLE') {
    for (const k of ['clientCertificate', 'privateKey'] as const) if (tls[k] !== undefined) at(k, 'is only used with mode MUTUAL');
  }
  if (tls.credentialName !== undefined) {
    for (const k of ['clientCertificate', 'privateKey', 'caCertificates'] as const) if (tls[k] !== undefined) at(k, 'cannot be combined with credentialName: the secret provides it');
  } else if (mode === 'MUTUAL') {
    for (const k of ['clientCertificate', 'privateKey'] as const) if (tls[k] === undefined) at(k, 'required with mode MUTUAL (or set credentialName)');
  }
  if (tls.insecureSkipVerify) {
    for (const k of ['caCertificates', 'subjectAltNames'] as const) if (tls[k] !== undefined) at(k, 'contradicts insecureSkipVerify: true, which skips verifying the server');
  }
});
export type ClientTlsSettings = z.infer<typeof ClientTlsSettingsSchema>;

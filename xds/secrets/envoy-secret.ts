import { SECRET_TYPE_URL } from '../envoy/type-urls';
import { encodeBase64 } from './pem';
import type { TlsMaterial } from './tls-secret';

type Json = Record<string, unknown>;

/** Istio's SDS names for a credential: the key pair, and its CA bundle as `<name>-cacert`. */
export const SDS_PREFIX = 'kubernetes://';
export const CA_SUFFIX = '-cacert';

const inline = (pem: string) => ({ inline_bytes: encodeBase64(new TextEncoder().encode(pem)) });

/**
 * The Envoy Secret served under an SDS name: a `tls_certificate` for `kubernetes://<name>`, a
 * `validation_context` for `kubernetes://<name>-cacert` (undefined when the secret has no ca.crt).
 * Bytes are inline, never file names: Envoy does not re-read an unchanged file name (envoy#7676).
 */
export function buildEnvoySecret(sdsName: string, part: 'certificate' | 'ca', material: TlsMaterial): Json | undefined {
  if (part === 'ca') {
    if (!material['ca.crt']) return undefined;
    return { '@type': SECRET_TYPE_URL, name: sdsName, validation_context: { trusted_ca: inline(material['ca.crt']) } };
  }
  return { '@type': SECRET_TYPE_URL, name: sdsName, tls_certificate: { certificate_chain: inline(material['tls.crt']), private_key: inline(material['tls.key']) } };
}

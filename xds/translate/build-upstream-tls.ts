import type { UpstreamTlsIR } from '../ir/types';
import type { Subscriber } from '../snapshot/types';
import { configSource } from './config-source';

type Json = Record<string, unknown>;

const UPSTREAM_TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** The system CA bundle of Envoy's images (Debian/Ubuntu), used when a rule names no caCertificates, as Istio uses the system roots. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** SDS secret names for a credentialName, Istio's convention: the key pair, and its CA as `<name>-cacert`. */
export const sdsCertificateName = (credential: string) => `kubernetes://${credential}`;
export const sdsCaName = (credential: string) => `kubernetes://${credential}-cacert`;

// A SAN that is a URI (SPIFFE IDs) is matched as one; anything else as a DNS name.
export const sanMatcher = (san: string) => ({ san_type: /^[a-z][a-z0-9+.-]*:\/\//i.test(san) ? 'URI' : 'DNS', matcher: { exact: san } });

function validation(tls: UpstreamTlsIR, subscriber: Subscriber): Json {
  if (tls.insecureSkipVerify) return {};
  const sans = tls.subjectAltNames.length ? { match_typed_subject_alt_names: tls.subjectAltNames.map(sanMatcher) } : {};
  if (tls.credentialName) {
    return {
      combined_validation_context: {
        default_validation_context: sans,
        validation_context_sds_secret_config: { name: sdsCaName(tls.credentialName), sds_config: configSource(subscriber) },
      },
    };
  }
  return { validation_context: { trusted_ca: { filename: tls.caCertificates ?? SYSTEM_CA_BUNDLE }, ...sans } };
}

function certificates(tls: UpstreamTlsIR, subscriber: Subscriber): Json {
  if (tls.mode !== 'MUTUAL') return {};
  if (tls.credentialName) return { tls_certificate_sds_secret_configs: [{ name: sdsCertificateName(tls.credentialName), sds_config: configSource(subscriber) }] };
  return { tls_certificates: [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }] };
}

/** DestinationRule tls (SIMPLE or MUTUAL) → the cluster's UpstreamTlsContext transport socket. */
export function buildUpstreamTls(tls: UpstreamTlsIR, subscriber: Subscriber, h2: boolean): Json {
  const common = { ...(h2 ? { alpn_protocols: ['h2'] } : {}), ...certificates(tls, subscriber), ...validation(tls, subscriber) };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM_TLS_TYPE, common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) },
  };
}

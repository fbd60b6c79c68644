import { DOWNSTREAM_TLS_TYPE } from '../envoy/extensions';
import type { DownstreamTlsIR } from '../ir/types';
import type { Subscriber } from '../ir/view-types';
import { sanMatcher, sdsCaName, sdsCertificateName, WORKLOAD_CERTIFICATE_SDS, WORKLOAD_ROOT_CA_SDS, workloadSdsConfig } from './build-upstream-tls';
import { configSource } from './config-source';

type Json = Record<string, unknown>;

const sds = (name: string, subscriber: Subscriber) => ({ name, sds_config: configSource(subscriber, 'secrets', name) });

function certificates(tls: DownstreamTlsIR, subscriber: Subscriber): Json {
  if (tls.mode === 'ISTIO_MUTUAL') return { tls_certificate_sds_secret_configs: [{ name: WORKLOAD_CERTIFICATE_SDS, sds_config: workloadSdsConfig() }] };
  if (tls.credentialName) return { tls_certificate_sds_secret_configs: [sds(sdsCertificateName(tls.credentialName), subscriber)] };
  return { tls_certificates: [{ certificate_chain: { filename: tls.serverCertificate }, private_key: { filename: tls.privateKey } }] };
}

/**
 * MUTUAL and ISTIO_MUTUAL: client certificates are verified against the CA (the secret's `-cacert`,
 * caCertificates, or the workload's ROOTCA) and the SANs.
 */
function validation(tls: DownstreamTlsIR, subscriber: Subscriber): Json {
  if (tls.mode === 'SIMPLE') return {};
  const sans = tls.subjectAltNames?.length ? { match_typed_subject_alt_names: tls.subjectAltNames.map(sanMatcher) } : {};
  if (tls.mode === 'ISTIO_MUTUAL') {
    return { combined_validation_context: { default_validation_context: sans, validation_context_sds_secret_config: { name: WORKLOAD_ROOT_CA_SDS, sds_config: workloadSdsConfig() } } };
  }
  if (tls.credentialName) {
    return { combined_validation_context: { default_validation_context: sans, validation_context_sds_secret_config: sds(sdsCaName(tls.credentialName), subscriber) } };
  }
  return { validation_context: { trusted_ca: { filename: tls.caCertificates }, ...sans } };
}

/** A Gateway server's TLS termination → the filter chain's DownstreamTlsContext transport socket. */
export function buildDownstreamTls(tls: DownstreamTlsIR, subscriber: Subscriber): Json {
  const params = {
    tls_minimum_protocol_version: tls.minProtocolVersion,
    ...(tls.maxProtocolVersion ? { tls_maximum_protocol_version: tls.maxProtocolVersion } : {}),
    ...(tls.cipherSuites ? { cipher_suites: tls.cipherSuites } : {}),
  };
  const common = { tls_params: params, ...(tls.alpn ? { alpn_protocols: tls.alpn } : {}), ...certificates(tls, subscriber), ...validation(tls, subscriber) };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': DOWNSTREAM_TLS_TYPE, common_tls_context: common, ...(tls.mode !== 'SIMPLE' ? { require_client_certificate: true } : {}) },
  };
}

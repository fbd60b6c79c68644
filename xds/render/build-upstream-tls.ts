import type { UpstreamTlsIR } from '../ir/types';
import type { Subscriber } from '../ir/view-types';
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
        validation_context_sds_secret_config: { name: sdsCaName(tls.credentialName), sds_config: configSource(subscriber, 'secrets', sdsCaName(tls.credentialName)) },
      },
    };
  }
  return { validation_context: { trusted_ca: { filename: tls.caCertificates ?? SYSTEM_CA_BUNDLE }, ...sans } };
}

function certificates(tls: UpstreamTlsIR, subscriber: Subscriber): Json {
  if (tls.mode !== 'MUTUAL') return {};
  if (tls.credentialName) return { tls_certificate_sds_secret_configs: [{ name: sdsCertificateName(tls.credentialName), sds_config: configSource(subscriber, 'secrets', sdsCertificateName(tls.credentialName)) }] };
  return { tls_certificates: [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }] };
}

/** Istio's names for the workload's own certificate and its trust bundle, served by the proxy's local SDS (istio-agent, SPIRE). */
export const WORKLOAD_CERTIFICATE_SDS = 'default';
export const WORKLOAD_ROOT_CA_SDS = 'ROOTCA';
/** The static cluster the proxy's bootstrap defines to reach that SDS server (Istio's: a UDS to the agent). */
export const WORKLOAD_SDS_CLUSTER = 'sds-grpc';

/** Istio's SDS config for workload secrets: not this control plane but the proxy's own `sds-grpc` cluster. */
export const workloadSdsConfig = () => ({
  api_config_source: {
    api_type: 'GRPC',
    transport_api_version: 'V3',
    grpc_services: [{ envoy_grpc: { cluster_name: WORKLOAD_SDS_CLUSTER } }],
    set_node_on_first_message_only: true,
  },
  resource_api_version: 'V3',
});

/** ISTIO_MUTUAL as Istio's sidecars put it on the wire: workload certificate and root CA by SDS, TLS 1.2 to 1.3. */
function istioMutual(tls: UpstreamTlsIR): Json {
  const sans = tls.subjectAltNames.length ? { match_typed_subject_alt_names: tls.subjectAltNames.map(sanMatcher) } : {};
  return {
    tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
    tls_certificate_sds_secret_configs: [{ name: WORKLOAD_CERTIFICATE_SDS, sds_config: workloadSdsConfig() }],
    combined_validation_context: {
      default_validation_context: sans,
      validation_context_sds_secret_config: { name: WORKLOAD_ROOT_CA_SDS, sds_config: workloadSdsConfig() },
    },
  };
}

/** DestinationRule tls (SIMPLE, MUTUAL or ISTIO_MUTUAL) → the cluster's UpstreamTlsContext transport socket. */
export function buildUpstreamTls(tls: UpstreamTlsIR, subscriber: Subscriber, h2: boolean): Json {
  // ALPN: only h2 where the cluster speaks it; not Istio's `istio`/`istio-peer-exchange` (see docs/istio.md, ISTIO_MUTUAL).
  const alpn = h2 ? { alpn_protocols: ['h2'] } : {};
  const common = tls.mode === 'ISTIO_MUTUAL' ? { ...alpn, ...istioMutual(tls) } : { ...alpn, ...certificates(tls, subscriber), ...validation(tls, subscriber) };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM_TLS_TYPE, common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) },
  };
}

// TLS Secrets: validating what users upload, finding what views reference, and the Envoy Secrets SDS serves.
export { validateTlsSecret, type TlsMaterial, type TlsSecret, type ValidateSecretResult } from './tls-secret';
export { credentialReferences, lookupNamespace, refsOfView, resolveSdsNames, sdsNamesOf, type CredentialRef, type SdsTarget } from './references';
export { buildEnvoySecret, CA_SUFFIX, SDS_PREFIX } from './envoy-secret';
export { decodeBase64, encodeBase64, parsePem, type PemBlock } from './pem';

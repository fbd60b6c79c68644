// Bootstraps (Envoy REST/ADS/file, gRPC) and the filesystem-subscription export: pure builders.
export { buildEnvoyBootstrap, ADS_CLUSTER } from './envoy';
export { buildGrpcBootstrap } from './grpc';
export { buildExportFiles, type DiscoveryResponseFile, type ExportFile } from './export';
export { formatHostPort, isIpAddress, parseHostPort } from './address';
export type * from './types';
export { fileNameOf, FILE_SUBSCRIPTION_DIRS, WILDCARD_FILES } from '../envoy/file-paths';
export { BRIDGE_CERT_FILES, DEFAULT_CERT_DIR } from './bridge-tls';

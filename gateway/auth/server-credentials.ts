import * as grpc from '@grpc/grpc-js';

export interface AdsTlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle client certificates are verified against; absent: no client certificates (tokens only). */
  clientCaFile?: string;
}

/** How often the files are re-read: cert-manager and SPIRE rotate them in place (a mounted Secret, a helper's output). */
const REFRESH_MS = 60_000;

/**
 * TLS for the ADS port from files, re-read as they rotate (grpc-js's FileWatcherCertificateProvider, which
 * also serves grpc-js-xds's file_watcher plugin). Client certificates are asked for but not required, so
 * a client without one can still authenticate with a token; a certificate the CA bundle does not verify
 * authenticates nobody (grpc-js then reports no peer certificate).
 */
export function adsServerCredentials(tls: AdsTlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const identity = new grpc.experimental.FileWatcherCertificateProvider({ certificateFile: tls.certFile, privateKeyFile: tls.keyFile, refreshIntervalMs: REFRESH_MS });
  const ca = tls.clientCaFile ? new grpc.experimental.FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs: REFRESH_MS }) : null;
  return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, false);
}

/** The files a proxy's workload certificate comes in, as Kubernetes TLS Secrets, cert-manager and SPIRE's helper name them. */
export const BRIDGE_CERT_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** Where bootstraps look for them when the caller names no directory. */
export const DEFAULT_CERT_DIR = '/etc/xdsflare/tls';

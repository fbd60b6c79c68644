/** How a server port carries traffic: plaintext HTTP, TLS (told apart by SNI), or plain TCP. */
export type PortFamily = 'http' | 'tls' | 'tcp';
export const portFamily = (protocol: string): PortFamily =>
  protocol === 'HTTPS' || protocol === 'TLS' ? 'tls' : protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' ? 'http' : 'tcp';

/** A server host without its namespace: what SNI can match. */
export const serverHostName = (h: string) => h.slice(h.indexOf('/') + 1);

/** Istio host matching: exact, `*.suffix` wildcards (either side) and `*`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    if (host.startsWith('*.')) return host.slice(1).endsWith(suffix);
    return host.endsWith(suffix);
  }
  return host.startsWith('*.') && pattern.endsWith(host.slice(1));
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);
export const isHttpProtocol = (protocol: string) => HTTP_PROTOCOLS.has(protocol);

/** Ports whose TLS a sidecar passes through, routing by SNI (Istio: protocol.IsTLS). */
export const isTlsProtocol = (protocol: string) => protocol === 'TLS' || protocol === 'HTTPS';

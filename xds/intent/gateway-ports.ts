import type { z } from 'zod';
import type { Server } from './gateway';

/** How a server port carries traffic: plaintext HTTP, TLS (told apart by SNI), or plain TCP. */
export type PortFamily = 'http' | 'tls' | 'tcp';
export const portFamily = (protocol: string): PortFamily =>
  protocol === 'HTTPS' || protocol === 'TLS' ? 'tls' : protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' ? 'http' : 'tcp';

const FAMILY_NAMES: Record<PortFamily, string> = { http: 'plaintext HTTP', tls: 'TLS (HTTPS, TLS)', tcp: 'plain TCP' };

/** A server host without its namespace: what SNI can match. */
export const serverHostName = (h: string) => h.slice(h.indexOf('/') + 1);

/**
 * Servers sharing a port must be told apart on one listener, as Istio requires: one family per port
 * (HTTP and HTTPS cannot share one), TLS servers by distinct SNI hosts, and one TCP server per port.
 * Port names are unique (Istio's rule; HTTPS route configs are named after them).
 */
export function checkServerPorts(servers: Server[], ctx: z.core.$RefinementCtx): void {
  const at = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['servers', ...path], message });
  const names = new Map<string, number>();
  const byPort = new Map<number, { family: PortFamily; first: number; hosts: Map<string, number> }>();
  servers.forEach((server, i) => {
    const { number, name, protocol } = server.port;
    const named = names.get(name);
    if (named !== undefined) at([i, 'port', 'name'], `port name ${name} is already used by servers[${named}]; port names must be unique`);
    else names.set(name, i);
    const family = portFamily(protocol);
    const seen = byPort.get(number);
    if (!seen) {
      byPort.set(number, { family, first: i, hosts: new Map(server.hosts.map((h) => [serverHostName(h), i])) });
      return;
    }
    if (seen.family !== family) {
      at([i, 'port', 'protocol'], `port ${number} is already served as ${FAMILY_NAMES[seen.family]} by servers[${seen.first}]; ${protocol} cannot share it (a port carries one of plaintext HTTP, TLS or plain TCP)`);
    } else if (family === 'tcp') {
      at([i, 'port', 'number'], `port ${number} is already served as TCP by servers[${seen.first}]; plain TCP has no host to tell two servers apart`);
    } else if (family === 'tls') {
      server.hosts.forEach((h, k) => {
        const host = serverHostName(h);
        const owner = seen.hosts.get(host);
        if (owner !== undefined && owner !== i) at([i, 'hosts', k], `host ${host} is already served on port ${number} by servers[${owner}]; TLS servers on one port are told apart by SNI host`);
        else seen.hosts.set(host, i);
      });
    }
  });
}

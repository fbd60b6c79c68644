import { z } from 'zod';
import { Dns1123LabelSchema, intentSchema, isDns1123Label, isHostname, istioObject, LabelsSchema, PortNumberSchema, protocolSchema } from './common';
import { portFamily, serverHostName, type PortFamily } from './gateway-ports';
import { checkServerTls, ServerTlsSettingsSchema } from './server-tls';

export const GatewayPortSchema = istioObject({
  number: PortNumberSchema,
  name: Dns1123LabelSchema,
  // HTTP2 and GRPC are served as HTTP; MONGO, REDIS and MYSQL as TCP (Istio's protocol sniffing aside).
  protocol: protocolSchema(['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'TCP', 'TLS', 'MONGO', 'REDIS', 'MYSQL']),
  targetPort: PortNumberSchema.optional(),
});
export type GatewayPort = z.infer<typeof GatewayPortSchema>;

export { portFamily, serverHostName, type PortFamily } from './gateway-ports';

/** `host` or `namespace/host`; the namespace may be `*` or `.`, the host `*`, `*.suffix` or a DNS name. */
function isServerHost(s: string): boolean {
  const slash = s.indexOf('/');
  const ns = slash === -1 ? undefined : s.slice(0, slash);
  const host = slash === -1 ? s : s.slice(slash + 1);
  if (ns !== undefined && ns !== '*' && ns !== '.' && !isDns1123Label(ns)) return false;
  return host === '*' || isHostname(host, { wildcard: true });
}

export const ServerSchema = istioObject(
  {
    port: GatewayPortSchema,
    hosts: z
      .array(z.string().refine(isServerHost, 'must be "host" or "namespace/host", host a DNS name, "*.suffix" or "*"'))
      .min(1, 'at least one host is required'),
    tls: ServerTlsSettingsSchema.optional(),
    name: z.string().optional(),
  },
  ['bind', 'defaultEndpoint'],
).superRefine((server, ctx) => {
  const at = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const { protocol } = server.port;
  const family = portFamily(protocol);
  const tls = server.tls;
  if (family === 'tls' && tls) checkServerTls(tls, ctx);
  // It routes raw TLS by SNI to clusters: nothing an HTTPS server's HTTP routes could apply to.
  if (tls?.mode === 'AUTO_PASSTHROUGH' && protocol !== 'TLS') at(['tls', 'mode'], `AUTO_PASSTHROUGH needs port protocol TLS, not ${protocol}: it passes TLS through by SNI without terminating it`);
  if (family === 'tls' && !tls) at(['tls'], `required for ${protocol} servers: mode SIMPLE or MUTUAL with credentialName (or serverCertificate and privateKey), or mode PASSTHROUGH`);
  if (family === 'http' && tls) {
    for (const k of Object.keys(tls).filter((k) => k !== 'httpsRedirect')) at(['tls', k], `an ${protocol} server does not terminate TLS; only httpsRedirect applies here (use protocol HTTPS)`);
  }
  if (family === 'tcp' && tls) at(['tls'], `a ${protocol} server carries no TLS settings; use protocol TLS to terminate or pass TLS through`);
  if (family !== 'http' && tls?.httpsRedirect !== undefined) at(['tls', 'httpsRedirect'], 'applies to HTTP servers only: it redirects plain HTTP requests to https');
});
export type Server = z.infer<typeof ServerSchema>;

const FAMILY_NAMES: Record<PortFamily, string> = { http: 'plaintext HTTP', tls: 'TLS (HTTPS, TLS)', tcp: 'plain TCP' };

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

export const GatewaySpecSchema = istioObject({
  selector: LabelsSchema.refine((m) => Object.keys(m).length > 0, 'at least one label is required: an empty selector would select every proxy'),
  servers: z.array(ServerSchema).min(1, 'at least one server is required'),
}).superRefine((spec, ctx) => checkServerPorts(spec.servers, ctx));
export type GatewaySpec = z.infer<typeof GatewaySpecSchema>;

export const GatewaySchema = intentSchema('Gateway', GatewaySpecSchema);

import { z } from 'zod';
import { Dns1123LabelSchema, intentSchema, isDns1123Label, isHostname, istioObject, LabelsSchema, PortNumberSchema, protocolSchema } from './common';
import { checkServerPorts, portFamily } from './gateway-ports';
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
  if (family === 'tls' && !tls) at(['tls'], `required for ${protocol} servers: mode SIMPLE or MUTUAL with credentialName (or serverCertificate and privateKey), or mode PASSTHROUGH`);
  if (family === 'http' && tls) {
    for (const k of Object.keys(tls).filter((k) => k !== 'httpsRedirect')) at(['tls', k], `an ${protocol} server does not terminate TLS; only httpsRedirect applies here (use protocol HTTPS)`);
  }
  if (family === 'tcp' && tls) at(['tls'], `a ${protocol} server carries no TLS settings; use protocol TLS to terminate or pass TLS through`);
  if (family !== 'http' && tls?.httpsRedirect !== undefined) at(['tls', 'httpsRedirect'], 'applies to HTTP servers only: it redirects plain HTTP requests to https');
});
export type Server = z.infer<typeof ServerSchema>;

export const GatewaySpecSchema = istioObject({
  selector: LabelsSchema.refine((m) => Object.keys(m).length > 0, 'at least one label is required: an empty selector would select every proxy'),
  servers: z.array(ServerSchema).min(1, 'at least one server is required'),
}).superRefine((spec, ctx) => checkServerPorts(spec.servers, ctx));
export type GatewaySpec = z.infer<typeof GatewaySpecSchema>;

export const GatewaySchema = intentSchema('Gateway', GatewaySpecSchema);

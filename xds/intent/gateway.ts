import { z } from 'zod';
import { Dns1123LabelSchema, intentSchema, isDns1123Label, isHostname, istioObject, LabelsSchema, PortNumberSchema, protocolSchema } from './common';

export const GatewayPortSchema = istioObject({
  number: PortNumberSchema,
  name: Dns1123LabelSchema,
  protocol: protocolSchema(['HTTP']),
  targetPort: PortNumberSchema.optional(),
});
export type GatewayPort = z.infer<typeof GatewayPortSchema>;

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
    name: z.string().optional(),
  },
  ['tls', 'bind', 'defaultEndpoint'],
);
export type Server = z.infer<typeof ServerSchema>;

export const GatewaySpecSchema = istioObject({
  selector: LabelsSchema.refine((m) => Object.keys(m).length > 0, 'at least one label is required: an empty selector would select every proxy'),
  servers: z.array(ServerSchema).min(1, 'at least one server is required'),
});
export type GatewaySpec = z.infer<typeof GatewaySpecSchema>;

export const GatewaySchema = intentSchema('Gateway', GatewaySpecSchema);

import { z } from 'zod';
import {
  Dns1123LabelSchema,
  ExportToSchema,
  intentSchema,
  isHostname,
  isIp,
  isIpOrCidr,
  istioObject,
  LabelsSchema,
  PortNumberSchema,
  protocolSchema,
} from './common';

const HOST_MESSAGE = 'must be a DNS name, optionally with a leading "*." wildcard (e.g. "api.example.com", "*.example.com")';

export const ServiceEntryPortSchema = istioObject({
  number: PortNumberSchema,
  protocol: protocolSchema(['HTTP', 'HTTP2', 'GRPC', 'TCP', 'TLS', 'HTTPS']),
  name: Dns1123LabelSchema,
  targetPort: PortNumberSchema.optional(),
});
export type ServiceEntryPort = z.infer<typeof ServiceEntryPortSchema>;

// Istio's locality: region[/zone[/subzone]].
const LOCALITY = /^[^/]+(\/[^/]+){0,2}$/;

export const WorkloadEntrySchema = istioObject(
  {
    address: z.string().refine((s) => isIp(s) || isHostname(s, { wildcard: false }), 'must be an IP address or a DNS name'),
    ports: z.record(z.string(), PortNumberSchema).optional(),
    labels: LabelsSchema.optional(),
    weight: z.int().min(1).optional(),
    locality: z.string().regex(LOCALITY, 'must be "region", "region/zone" or "region/zone/subzone"').optional(),
    network: z.string().optional(),
  },
  ['serviceAccount'],
);
export type WorkloadEntry = z.infer<typeof WorkloadEntrySchema>;

const LocationSchema = z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL'], {
  error: (iss) => `expected MESH_EXTERNAL or MESH_INTERNAL, got ${JSON.stringify(iss.input)}`,
});

// Missing means NONE, as in Istio (the enum's zero value): the proxy forwards to the address the caller dialled.
const ResolutionSchema = z.enum(['STATIC', 'DNS', 'NONE'], {
  error: (iss) => {
    if (iss.input === 'DNS_ROUND_ROBIN') return 'resolution DNS_ROUND_ROBIN is not supported yet; use STATIC or DNS';
    return `expected STATIC, DNS or NONE, got ${JSON.stringify(iss.input)}`;
  },
});

export const ServiceEntrySpecSchema = istioObject(
  {
    hosts: z
      .array(z.string().refine((s) => isHostname(s, { wildcard: true }), HOST_MESSAGE))
      .min(1, 'at least one host is required'),
    addresses: z.array(z.string().refine(isIpOrCidr, 'must be an IP address or a CIDR block')).optional(),
    ports: z.array(ServiceEntryPortSchema).min(1, 'at least one port is required'),
    location: LocationSchema.optional(),
    resolution: ResolutionSchema.optional(),
    endpoints: z.array(WorkloadEntrySchema).optional(),
    exportTo: ExportToSchema.optional(),
  },
  ['workloadSelector', 'subjectAltNames'],
).superRefine((spec, ctx) => {
  const names = new Set<string>();
  const numbers = new Set<number>();
  spec.ports.forEach((port, i) => {
    if (names.has(port.name)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: `duplicate port name "${port.name}"` });
    if (numbers.has(port.number)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'number'], message: `duplicate port number ${port.number}` });
    names.add(port.name);
    numbers.add(port.number);
  });
  const endpoints = spec.endpoints ?? [];
  endpoints.forEach((ep, i) => {
    for (const portName of Object.keys(ep.ports ?? {})) {
      if (!names.has(portName)) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'ports', portName], message: `"${portName}" is not one of the declared ports (${[...names].join(', ')})` });
      }
    }
    if (spec.resolution === 'STATIC' && !isIp(ep.address)) {
      ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'address'], message: 'resolution STATIC needs IP addresses; use resolution DNS for hostnames' });
    }
  });
  // As Istio's validation: NONE sends each connection to the address its caller dialled, so endpoints would mean nothing.
  if ((spec.resolution ?? 'NONE') === 'NONE' && endpoints.length) {
    ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `no endpoints with resolution NONE${spec.resolution ? '' : ' (what a missing resolution means, as in Istio)'}: the proxy forwards to the address the caller dialled; use STATIC or DNS to send to these endpoints` });
  }
  if (spec.resolution === 'STATIC' && endpoints.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['endpoints'], message: 'resolution STATIC needs at least one endpoint' });
  }
  if (spec.resolution === 'DNS' && endpoints.length === 0) {
    spec.hosts.forEach((host, i) => {
      if (host.startsWith('*')) ctx.addIssue({ code: 'custom', path: ['hosts', i], message: 'resolution DNS without endpoints cannot resolve a wildcard host' });
    });
  }
});
export type ServiceEntrySpec = z.infer<typeof ServiceEntrySpecSchema>;

export const ServiceEntrySchema = intentSchema('ServiceEntry', ServiceEntrySpecSchema);

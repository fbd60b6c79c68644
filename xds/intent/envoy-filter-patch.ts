import { z } from 'zod';
import { istioObject } from './common';

/** What a patch applies to; Istio's other targets are refused as not supported yet. */
export const APPLY_TO = ['CLUSTER', 'LISTENER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_FILTER'] as const;
const ISTIO_APPLY_TO = ['NETWORK_FILTER', 'FILTER_CHAIN', 'HTTP_ROUTE', 'EXTENSION_CONFIG', 'BOOTSTRAP', 'LISTENER_FILTER'];
export const PATCH_OPERATIONS = ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'] as const;
const ISTIO_OPERATIONS = ['REPLACE', 'INVALID'];
/** SIDECAR_OUTBOUND: mesh Envoys; GATEWAY: gateway proxies; ANY: both. Proxyless gRPC clients get no patches, as in Istio. */
export const PATCH_CONTEXTS = ['ANY', 'SIDECAR_OUTBOUND', 'GATEWAY'] as const;

function enumOf<const T extends readonly [string, ...string[]]>(values: T, istio: readonly string[], what: string) {
  return z.enum(values, {
    error: (iss) => {
      const s = String(iss.input);
      if (istio.includes(s)) return `${what} ${s} is not supported yet; supported: ${values.join(', ')}`;
      return `unknown ${what} ${JSON.stringify(iss.input)}; supported: ${values.join(', ')}`;
    },
  });
}

const NameSchema = z.string().min(1, 'must not be empty');

export const ClusterMatchSchema = istioObject({ name: NameSchema.optional() }, ['portNumber', 'service', 'subset']);

export const SubFilterMatchSchema = istioObject({ name: NameSchema.optional() });
export const FilterMatchSchema = istioObject({ name: NameSchema.optional(), subFilter: SubFilterMatchSchema.optional() });
export const FilterChainMatchSchema = istioObject(
  { filter: FilterMatchSchema.optional() },
  ['name', 'sni', 'transportProtocol', 'applicationProtocols', 'destinationPort'],
);
export const ListenerMatchSchema = istioObject(
  { name: NameSchema.optional(), filterChain: FilterChainMatchSchema.optional() },
  ['portNumber', 'portName', 'listenerFilter'],
);

export const VirtualHostMatchSchema = istioObject({ name: NameSchema.optional() }, ['route', 'domainName']);
export const RouteConfigurationMatchSchema = istioObject(
  { name: NameSchema.optional(), vhost: VirtualHostMatchSchema.optional() },
  ['portNumber', 'portName', 'gateway'],
);

export const EnvoyConfigObjectMatchSchema = istioObject(
  {
    context: enumOf(PATCH_CONTEXTS, ['SIDECAR_INBOUND'], 'context').optional(),
    cluster: ClusterMatchSchema.optional(),
    listener: ListenerMatchSchema.optional(),
    routeConfiguration: RouteConfigurationMatchSchema.optional(),
  },
  ['proxy'],
);
export type EnvoyConfigObjectMatch = z.infer<typeof EnvoyConfigObjectMatchSchema>;

export const PatchSchema = istioObject(
  {
    operation: enumOf(PATCH_OPERATIONS, ISTIO_OPERATIONS, 'operation'),
    // proto3 JSON of the target type, snake_case as rendered; checked against Envoy's protos on write.
    value: z.record(z.string(), z.unknown()).optional(),
  },
  ['filterClass'],
);

/** One `configPatches[]` entry's fields; envoy-filter.ts adds the cross-field rules (envoy-filter-rules.ts). */
export const EnvoyConfigObjectPatchFieldsSchema = istioObject({
  applyTo: enumOf(APPLY_TO, ISTIO_APPLY_TO, 'applyTo'),
  match: EnvoyConfigObjectMatchSchema.optional(),
  patch: PatchSchema,
});
export type EnvoyConfigObjectPatch = z.infer<typeof EnvoyConfigObjectPatchFieldsSchema>;

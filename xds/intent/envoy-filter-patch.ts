import { z } from 'zod';
import { istioObject } from './common';

/** What a patch applies to. */
export const APPLY_TO = ['CLUSTER', 'LISTENER', 'LISTENER_FILTER', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'] as const;
export const PATCH_OPERATIONS = ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'] as const;
/** SIDECAR_OUTBOUND: mesh Envoys; GATEWAY: gateway proxies; ANY: both; SIDECAR_INBOUND: accepted, reaches nothing (no inbound config is rendered). */
export const PATCH_CONTEXTS = ['ANY', 'SIDECAR_OUTBOUND', 'SIDECAR_INBOUND', 'GATEWAY'] as const;
export const ROUTE_ACTIONS = ['ANY', 'ROUTE', 'REDIRECT', 'DIRECT_RESPONSE'] as const;

/** Istio's other values: undefined when not supported yet, else the reason they cannot be. */
type IstioValues = Readonly<Record<string, string | undefined>>;
const ISTIO_APPLY_TO: IstioValues = {
  FILTER_CHAIN: undefined,
  EXTENSION_CONFIG: undefined,
  BOOTSTRAP: 'the bootstrap is the file Envoy starts with, not an xDS resource, so no control plane can patch it over xDS (Istio has its agent write it before Envoy starts); set it in the proxy\'s own bootstrap',
};
const ISTIO_OPERATIONS: IstioValues = { REPLACE: undefined, MERGE_AND_REPLACE_LIST: undefined, INVALID: 'Istio refuses it too: name an operation' };
const ISTIO_CONTEXTS: IstioValues = { WAYPOINT: 'there are no waypoint proxies here (no ambient mode)' };

function enumOf<const T extends readonly [string, ...string[]]>(values: T, istio: IstioValues, what: string) {
  return z.enum(values, {
    error: (iss) => {
      // Not String(input): an object whose toString is not a function cannot be converted (a 500, found by the fuzzer).
      if (typeof iss.input !== 'string') return `${what} must be a string, one of ${values.join(', ')}; got ${Array.isArray(iss.input) ? 'array' : typeof iss.input}`;
      const s = iss.input;
      if (!Object.hasOwn(istio, s)) return `unknown ${what} ${JSON.stringify(iss.input)}; supported: ${values.join(', ')}`;
      const reason = istio[s];
      return reason ? `${what} ${s} is refused: ${reason}` : `${what} ${s} is not supported yet; supported: ${values.join(', ')}`;
    },
  });
}

// proto3 reads an empty string and a port 0 as unset, and Istio's matches read unset as "any".
const MatchString = z.string();
const MatchPort = z.int().min(0).max(65535);
/** A filter match's name: Istio refuses a filter match without one. */
const filterName = (what: string) => z.string({ error: `required: the ${what} to match (Istio refuses a filter match without a name)` }).min(1, `must not be empty: the ${what} to match (Istio refuses a filter match without a name)`);

export const ClusterMatchSchema = istioObject({ name: MatchString.optional(), service: MatchString.optional(), subset: MatchString.optional(), portNumber: MatchPort.optional() });

export const SubFilterMatchSchema = istioObject({ name: filterName('HTTP filter') });
export const FilterMatchSchema = istioObject({ name: filterName('network filter'), subFilter: SubFilterMatchSchema.optional() });
export const FilterChainMatchSchema = istioObject({
  name: MatchString.optional(),
  sni: MatchString.optional(),
  transportProtocol: MatchString.optional(),
  applicationProtocols: MatchString.optional(),
  destinationPort: MatchPort.optional(),
  filter: FilterMatchSchema.optional(),
});
export const ListenerMatchSchema = istioObject(
  { name: MatchString.optional(), portNumber: MatchPort.optional(), listenerFilter: MatchString.optional(), filterChain: FilterChainMatchSchema.optional() },
  [],
  { portName: 'Istio does not implement it (its API marks it so) and matches nothing by it; match by portNumber' },
);

export const RouteMatchSchema = istioObject({ name: MatchString.optional(), action: enumOf(ROUTE_ACTIONS, {}, 'action').optional() });
export const VirtualHostMatchSchema = istioObject({ name: MatchString.optional(), domainName: MatchString.optional(), route: RouteMatchSchema.optional() });
export const RouteConfigurationMatchSchema = istioObject(
  { name: MatchString.optional(), vhost: VirtualHostMatchSchema.optional() },
  ['portNumber', 'portName', 'gateway'],
);

export const EnvoyConfigObjectMatchSchema = istioObject(
  {
    context: enumOf(PATCH_CONTEXTS, ISTIO_CONTEXTS, 'context').optional(),
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

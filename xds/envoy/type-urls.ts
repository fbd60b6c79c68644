/** The xDS resource types this control plane serves, with their type URLs and REST discovery paths. */
export const RESOURCE_TYPES = {
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

export type ResourceType = keyof typeof RESOURCE_TYPES;
export type TypeUrl = (typeof RESOURCE_TYPES)[ResourceType];

/** Make-before-break delivery order. */
export const DELIVERY_ORDER: readonly ResourceType[] = ['clusters', 'endpoints', 'listeners', 'routes'];

/** Types whose subscribers name the resources they want (EDS, RDS); the others are wildcard (full state). */
export const NAMED_TYPES: ReadonlySet<ResourceType> = new Set(['endpoints', 'routes']);

export function resourceTypeOfUrl(typeUrl: string): ResourceType | undefined {
  return (Object.keys(RESOURCE_TYPES) as ResourceType[]).find((t) => RESOURCE_TYPES[t] === typeUrl);
}

/** REST path for a type: POST /v3/discovery:<type>. */
export const discoveryPath = (type: ResourceType) => `/v3/discovery:${type}`;

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

/**
 * SDS. Kept out of RESOURCE_TYPES on purpose: views render no secrets (they hold private keys and go
 * only to pollers allowed to have them), so the edge serves them from their own handler.
 */
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** What an ADS stream of the bridge carries: the view's types plus the secrets it references. */
export type AdsType = ResourceType | 'secrets';
export const ADS_TYPE_URLS: Readonly<Record<AdsType, string>> = { ...RESOURCE_TYPES, secrets: SECRET_TYPE_URL };

/** ADS make-before-break order: secrets after EDS and before LDS, since listeners (and clusters) warm on them. */
export const ADS_DELIVERY_ORDER: readonly AdsType[] = ['clusters', 'endpoints', 'secrets', 'listeners', 'routes'];

/** Types whose subscribers name the resources they want (EDS, RDS); the others are wildcard (full state). */
export const NAMED_TYPES: ReadonlySet<ResourceType> = new Set(['endpoints', 'routes']);

export function resourceTypeOfUrl(typeUrl: string): ResourceType | undefined {
  return (Object.keys(RESOURCE_TYPES) as ResourceType[]).find((t) => RESOURCE_TYPES[t] === typeUrl);
}

/** REST path for a type: POST /v3/discovery:<type>. */
export const discoveryPath = (type: ResourceType) => `/v3/discovery:${type}`;

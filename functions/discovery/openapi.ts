import { ADS_TYPE_URLS, type AdsType } from '../../xds';
import { problem } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from './discovery-schemas';

/** REST-JSON xDS (discovery.ts, and SDS in secrets/sds.ts): POST /v3/discovery:<type>, as Envoy polls it. */

const WHAT: Record<AdsType, string> = {
  clusters: 'CDS: every cluster of the node\'s view',
  endpoints: 'EDS: the ClusterLoadAssignments named in resource_names',
  listeners: 'LDS: every listener of the node\'s view',
  routes: 'RDS: the RouteConfigurations named in resource_names',
  secrets: 'SDS: the named Secrets the node\'s own config references (never anonymous; needs secrets:read)',
};

/** One operation per type this control plane serves, so a new type without a doc fails the OpenAPI test. */
export const discoveryRouteDocs: RouteDoc[] = (Object.keys(ADS_TYPE_URLS) as AdsType[]).map((type): RouteDoc => {
  const sds = type === 'secrets';
  return {
    method: 'post',
    path: `/v3/discovery:${type}`,
    operationId: `discovery${type.charAt(0).toUpperCase()}${type.slice(1)}`,
    summary: WHAT[type],
    description: `Envoy's REST-JSON polling (\`api_type: REST\`): type \`${ADS_TYPE_URLS[type]}\`. The token goes in \`node.metadata.xds_token\` or an Authorization header. The view is chosen by the node's labels, user agent, namespace and locality.${sds ? '' : ' Config sources in the answer point back at the cluster named by the request\'s Host header (Envoy sends its xDS cluster\'s name); `x-xds-subscriber: ads` asks for ADS config sources instead.'}`,
    tags: ['xDS'],
    scope: sds ? 'secrets:read' : 'xds:read',
    authOptional: !sds,
    idempotencyKey: false,
    body: { schema: DiscoveryRequestSchema },
    responses: {
      200: { description: 'The resources, with their version', schema: DiscoveryResponseSchema, headers: ['x-xdsflare-revision', 'x-xdsflare-stale'] },
      304: { description: 'The node already holds this version (or, make-before-break, must first accept the clusters the new routes need)', headers: ['x-xdsflare-revision', 'x-xdsflare-stale', ...(sds ? [] : (['x-xdsflare-held'] as const))] },
      400: problem('The body is not a DiscoveryRequest; `errors` names the field'),
      413: problem('The body is larger than 1 MiB'),
      503: problem('The config cannot be read and no snapshot is at hand; Envoy keeps its config and retries', ['Retry-After']),
    },
  };
});

import { z } from 'zod';
import { GatewayRefsSchema, istioObject, LabelsSchema, PortNumberSchema } from './common';
import { PresenceMatchSchema, StringMatchSchema } from './string-match';

// RFC 9110 token characters; a leading ":" allows Envoy's pseudo-headers (":authority").
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const headerMatches = () => z.record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), PresenceMatchSchema).optional();

/** Istio's HTTPMatchRequest: every condition given must hold. */
export const HTTPMatchRequestSchema = istioObject(
  {
    name: z.string().optional(),
    uri: StringMatchSchema.optional(),
    method: StringMatchSchema.optional(),
    // `{}` means the header is present (in withoutHeaders: absent), as in Istio.
    headers: headerMatches(),
    withoutHeaders: headerMatches(),
    queryParams: z.record(z.string().min(1, 'must not be empty'), PresenceMatchSchema).optional(),
    port: PortNumberSchema.optional(),
    // Rendered only into the views of proxies whose labels match (see snapshot/source-routes.ts).
    sourceLabels: LabelsSchema.optional(),
    ignoreUriCase: z.boolean().optional(),
    // The match applies only at these of its VirtualService's gateways ("mesh": sidecars), as in Istio.
    gateways: GatewayRefsSchema.optional(),
  },
  ['scheme', 'authority', 'sourceNamespace', 'statPrefix'],
);
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequestSchema>;

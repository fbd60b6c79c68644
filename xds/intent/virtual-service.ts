import { z } from 'zod';
import {
  Dns1123LabelSchema,
  DurationSchema,
  ExportToSchema,
  intentSchema,
  isDns1123Label,
  isDns1123Subdomain,
  isHostname,
  istioObject,
  PortSelectorSchema,
} from './common';
import { re2Problem } from './regex';

/** Istio's StringMatch: exactly one of `exact`, `prefix` (case-sensitive) or `regex` (RE2 syntax). */
export const StringMatchSchema = istioObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z
    .string()
    .superRefine((s, ctx) => {
      const problem = re2Problem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
}).superRefine((m, ctx) => {
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => m[k] !== undefined);
  if (set.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: set.length === 0 ? 'exactly one of exact, prefix or regex is required' : `exactly one of exact, prefix or regex is allowed; got ${set.join(' and ')}`,
    });
  }
});
export type StringMatch = z.infer<typeof StringMatchSchema>;

// RFC 9110 token characters; a leading ":" allows Envoy's pseudo-headers (":authority").
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const HTTPMatchRequestSchema = istioObject(
  {
    name: z.string().optional(),
    uri: StringMatchSchema.optional(),
    method: StringMatchSchema.optional(),
    headers: z
      .record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), StringMatchSchema)
      .optional(),
  },
  ['scheme', 'authority', 'port', 'queryParams', 'sourceLabels', 'gateways', 'ignoreUriCase', 'withoutHeaders', 'sourceNamespace', 'statPrefix'],
);
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequestSchema>;

export const DestinationSchema = istioObject({
  host: z.string().refine((s) => isHostname(s, { wildcard: false }), 'must be a DNS name (a service host, not a wildcard)'),
  subset: Dns1123LabelSchema.optional(),
  port: PortSelectorSchema.optional(),
});
export type Destination = z.infer<typeof DestinationSchema>;

export const HTTPRouteDestinationSchema = istioObject(
  {
    destination: DestinationSchema,
    // Relative, as in Istio: a destination receives weight / sum of weights.
    weight: z.int().min(0, 'must not be negative').optional(),
  },
  ['headers'],
);
export type HTTPRouteDestination = z.infer<typeof HTTPRouteDestinationSchema>;

// Envoy's retry_on policies (HTTP and gRPC); HTTP status codes are accepted too, as Istio does.
const RETRY_POLICIES = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

export const HTTPRetrySchema = istioObject(
  {
    attempts: z.int().min(0, 'must not be negative'),
    perTryTimeout: DurationSchema.optional(),
    retryOn: z
      .string()
      .superRefine((s, ctx) => {
        for (const raw of s.split(',')) {
          const policy = raw.trim();
          if (RETRY_POLICIES.has(policy) || /^[1-5]\d\d$/.test(policy)) continue;
          ctx.addIssue({ code: 'custom', message: `unknown retry condition "${policy}"; expected e.g. "5xx,connect-failure,reset" or HTTP status codes` });
        }
      })
      .optional(),
  },
  ['retryRemoteLocalities', 'retryIgnorePreviousHosts', 'backoff'],
);
export type HTTPRetry = z.infer<typeof HTTPRetrySchema>;

export const HTTPRouteSchema = istioObject(
  {
    name: z.string().optional(),
    match: z.array(HTTPMatchRequestSchema).optional(),
    route: z
      .array(HTTPRouteDestinationSchema, {
        error: (iss) => (iss.input === undefined ? 'required: at least one destination (redirect and directResponse are not supported yet)' : undefined),
      })
      .min(1, 'at least one destination is required'),
    timeout: DurationSchema.optional(),
    retries: HTTPRetrySchema.optional(),
  },
  ['redirect', 'directResponse', 'delegate', 'rewrite', 'fault', 'mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent', 'mirror_percent', 'corsPolicy', 'headers'],
).superRefine((route, ctx) => {
  // Weights are relative; what cannot work is no traffic at all.
  if (route.route.length === 1) {
    if (route.route[0]!.weight === 0) {
      ctx.addIssue({ code: 'custom', path: ['route', 0, 'weight'], message: 'the only destination has weight 0 and would get no traffic; remove the weight or make it positive' });
    }
  } else if (route.route.length > 1 && route.route.every((d) => (d.weight ?? 0) === 0)) {
    ctx.addIssue({ code: 'custom', path: ['route'], message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' });
  }
});
export type HTTPRoute = z.infer<typeof HTTPRouteSchema>;

/** `mesh`, `name` or `namespace/name`. */
function isGatewayRef(s: string): boolean {
  if (s === 'mesh') return true;
  const parts = s.split('/');
  if (parts.length === 1) return isDns1123Subdomain(s);
  return parts.length === 2 && isDns1123Label(parts[0]!) && isDns1123Subdomain(parts[1]!);
}

export const VirtualServiceSpecSchema = istioObject(
  {
    hosts: z
      .array(
        z.string().refine((s) => s === '*' || isHostname(s, { wildcard: true }), 'must be a DNS name, "*.suffix" or "*"'),
      )
      .min(1, 'at least one host is required'),
    // Missing means ["mesh"] (Istio's default); left missing here, not invented.
    gateways: z.array(z.string().refine(isGatewayRef, 'must be "mesh", a gateway name or "namespace/name"')).optional(),
    http: z
      .array(HTTPRouteSchema, {
        error: (iss) => (iss.input === undefined ? 'required: at least one http route (tcp and tls routes are not supported yet)' : undefined),
      })
      .min(1, 'at least one http route is required'),
    exportTo: ExportToSchema.optional(),
  },
  ['tcp', 'tls'],
);
export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpecSchema>;

export const VirtualServiceSchema = intentSchema('VirtualService', VirtualServiceSpecSchema);

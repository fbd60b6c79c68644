import { z } from 'zod';
import {
  DurationSchema,
  ExportToSchema,
  GatewayRefsSchema,
  intentSchema,
  isHostname,
  istioObject,
} from './common';
import {
  CorsPolicySchema,
  DestinationSchema,
  HeadersSchema,
  HTTPDirectResponseSchema,
  HTTPFaultInjectionSchema,
  HTTPMirrorPolicySchema,
  HTTPRedirectSchema,
  HTTPRewriteSchema,
  PercentSchema,
} from './http-actions';
import { HTTPMatchRequestSchema } from './http-match';
import { checkPreviewAnnotations } from './preview';
import { checkRouteKinds, TCPRouteSchema, TLSRouteSchema } from './l4-routes';

export * from './http-actions';
export * from './http-match';
export * from './l4-routes';
export * from './preview';
export * from './string-match';

export const HTTPRouteDestinationSchema = istioObject(
  {
    destination: DestinationSchema,
    // Relative, as in Istio: a destination receives weight / sum of weights.
    weight: z.int().min(0, 'must not be negative').optional(),
    headers: HeadersSchema.optional(),
  },
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

// Fields that only make sense when the request is forwarded to destinations.
const FORWARDING_ONLY = ['rewrite', 'fault', 'timeout', 'retries', 'mirror', 'mirrors', 'mirrorPercentage'] as const;

export const HTTPRouteSchema = istioObject(
  {
    name: z.string().optional(),
    match: z.array(HTTPMatchRequestSchema).optional(),
    route: z.array(HTTPRouteDestinationSchema).min(1, 'at least one destination is required').optional(),
    redirect: HTTPRedirectSchema.optional(),
    directResponse: HTTPDirectResponseSchema.optional(),
    rewrite: HTTPRewriteSchema.optional(),
    timeout: DurationSchema.optional(),
    retries: HTTPRetrySchema.optional(),
    fault: HTTPFaultInjectionSchema.optional(),
    mirror: DestinationSchema.optional(),
    mirrorPercentage: PercentSchema.optional(),
    mirrors: z.array(HTTPMirrorPolicySchema).optional(),
    headers: HeadersSchema.optional(),
    corsPolicy: CorsPolicySchema.optional(),
  },
  ['delegate', 'mirrorPercent', 'mirror_percent'],
).superRefine((route, ctx) => {
  // Exactly one of route, redirect and directResponse says what happens to a matched request.
  const actions = (['route', 'redirect', 'directResponse'] as const).filter((k) => route[k] !== undefined);
  if (actions.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['route'], message: 'required: at least one destination, unless the rule has a redirect or directResponse' });
  }
  for (const extra of actions.slice(1)) {
    ctx.addIssue({ code: 'custom', path: [extra], message: `${actions[0]} and ${extra} cannot both be set: a rule either routes, redirects or answers directly` });
  }
  const answers = route.redirect ? 'redirect' : route.directResponse ? 'directResponse' : undefined;
  if (answers) {
    for (const field of FORWARDING_ONLY.filter((f) => route[f] !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [field], message: `${field} applies to forwarded requests; it cannot be combined with ${answers}` });
    }
  }
  if (route.mirror && route.mirrors) ctx.addIssue({ code: 'custom', path: ['mirrors'], message: 'mirror and mirrors cannot both be set; use mirrors' });
  if (route.mirrorPercentage && !route.mirror) ctx.addIssue({ code: 'custom', path: ['mirrorPercentage'], message: 'mirrorPercentage needs mirror (with mirrors, give each its percentage)' });
  const dests = route.route;
  if (!dests) return;
  // Weights are relative; what cannot work is no traffic at all.
  if (dests.length === 1) {
    if (dests[0]!.weight === 0) {
      ctx.addIssue({ code: 'custom', path: ['route', 0, 'weight'], message: 'the only destination has weight 0 and would get no traffic; remove the weight or make it positive' });
    }
  } else if (dests.length > 1 && dests.every((d) => (d.weight ?? 0) === 0)) {
    ctx.addIssue({ code: 'custom', path: ['route'], message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' });
  }
});
export type HTTPRoute = z.infer<typeof HTTPRouteSchema>;

export const VirtualServiceSpecSchema = istioObject(
  {
    hosts: z
      .array(
        z.string().refine((s) => s === '*' || isHostname(s, { wildcard: true }), 'must be a DNS name, "*.suffix" or "*"'),
      )
      .min(1, 'at least one host is required'),
    // Missing means ["mesh"] (Istio's default); left missing here, not invented.
    gateways: GatewayRefsSchema.optional(),
    http: z.array(HTTPRouteSchema).min(1, 'must not be empty; leave it out when there are no http routes').optional(),
    tcp: z.array(TCPRouteSchema).min(1, 'must not be empty; leave it out when there are no tcp routes').optional(),
    tls: z.array(TLSRouteSchema).min(1, 'must not be empty; leave it out when there are no tls routes').optional(),
    exportTo: ExportToSchema.optional(),
  },
).superRefine(checkRouteKinds);
export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpecSchema>;

// Preview routes are opt-in by annotation, so manifests stay valid Istio.
export const VirtualServiceSchema = intentSchema('VirtualService', VirtualServiceSpecSchema).superRefine(checkPreviewAnnotations);

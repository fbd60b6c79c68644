import { z } from 'zod';
import { Dns1123LabelSchema, DurationSchema, isHostname, istioObject, PortNumberSchema, PortSelectorSchema } from './common';
import { parseDuration } from './duration';
import { RegexSchema, StringMatchSchema } from './string-match';

/** Istio's Percent: a share of requests, 0 to 100 (fractions allowed). */
export const PercentSchema = istioObject({
  value: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'),
});

export const DestinationSchema = istioObject({
  host: z.string().refine((s) => isHostname(s, { wildcard: false }), 'must be a DNS name (a service host, not a wildcard)'),
  subset: Dns1123LabelSchema.optional(),
  port: PortSelectorSchema.optional(),
});
export type Destination = z.infer<typeof DestinationSchema>;

// Envoy refuses to touch pseudo-headers and Host through header operations (use rewrite.authority).
const MUTABLE_HEADER = z
  .string()
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an HTTP header name (pseudo-headers such as ":path" cannot be changed)')
  .refine((s) => s.toLowerCase() !== 'host', 'the host header cannot be changed here; use rewrite.authority');
const HEADER_VALUE = z.string().refine((s) => !/[\r\n\0]/.test(s), 'must not contain CR, LF or NUL');

export const HeaderOperationsSchema = istioObject({
  set: z.record(MUTABLE_HEADER, HEADER_VALUE).optional(),
  add: z.record(MUTABLE_HEADER, HEADER_VALUE).optional(),
  remove: z.array(MUTABLE_HEADER).optional(),
});
export type HeaderOperations = z.infer<typeof HeaderOperationsSchema>;

/** Istio's Headers: request and response header operations, on a route or one destination. */
export const HeadersSchema = istioObject({ request: HeaderOperationsSchema.optional(), response: HeaderOperationsSchema.optional() });
export type Headers = z.infer<typeof HeadersSchema>;

const NO_CONTROL = (s: string) => !/[\r\n\0]/.test(s);

export const HTTPRedirectSchema = istioObject(
  {
    uri: z.string().min(1, 'must not be empty').refine(NO_CONTROL, 'must not contain CR, LF or NUL').optional(),
    authority: z.string().min(1, 'must not be empty').refine(NO_CONTROL, 'must not contain CR, LF or NUL').optional(),
    port: PortNumberSchema.optional(),
    scheme: z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*$/, 'must be a URI scheme such as "https"').optional(),
    redirectCode: z.int().refine((c) => [301, 302, 303, 307, 308].includes(c), 'must be 301, 302, 303, 307 or 308').optional(),
  },
  ['derivePort'],
).superRefine((r, ctx) => {
  if (r.uri === undefined && r.authority === undefined && r.port === undefined && r.scheme === undefined) {
    ctx.addIssue({ code: 'custom', message: 'at least one of uri, authority, port or scheme is required' });
  }
});
export type HTTPRedirect = z.infer<typeof HTTPRedirectSchema>;

export const HTTPRewriteSchema = istioObject({
  uri: z.string().refine(NO_CONTROL, 'must not contain CR, LF or NUL').optional(),
  authority: z.string().min(1, 'must not be empty').refine(NO_CONTROL, 'must not contain CR, LF or NUL').optional(),
  uriRegexRewrite: istioObject({ match: RegexSchema, rewrite: z.string().refine(NO_CONTROL, 'must not contain CR, LF or NUL') }).optional(),
}).superRefine((r, ctx) => {
  if (r.uri !== undefined && r.uriRegexRewrite !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['uriRegexRewrite'], message: 'uri and uriRegexRewrite cannot both be set' });
  }
  if (!r.uri && r.authority === undefined && r.uriRegexRewrite === undefined) {
    ctx.addIssue({ code: 'custom', message: 'at least one of uri, authority or uriRegexRewrite is required' });
  }
});
export type HTTPRewrite = z.infer<typeof HTTPRewriteSchema>;

/** gRPC status names Istio accepts in `fault.abort.grpcStatus` (OK is not a fault). */
export const GRPC_STATUS_CODES: Record<string, number> = {
  CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

const FaultDelaySchema = istioObject(
  {
    // Envoy needs a delay above zero; Istio's durations start at 1ms.
    fixedDelay: DurationSchema.refine((s) => (parseDuration(s) ?? 0n) >= 1_000_000n, 'must be at least 1ms'),
    percentage: PercentSchema.optional(),
    // Istio's deprecated int32 share (0-100), still accepted and used when percentage is not set.
    percent: z.int('must be a whole number of percent from 0 to 100').min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100').optional(),
  },
  ['exponentialDelay'],
);

const FaultAbortSchema = istioObject(
  {
    httpStatus: z.int().min(200, 'must be an HTTP status from 200 to 599').max(599, 'must be an HTTP status from 200 to 599').optional(),
    grpcStatus: z
      .string()
      .superRefine((s, ctx) => {
        if (Object.hasOwn(GRPC_STATUS_CODES, s)) return;
        const message = /^\d+$/.test(s) ? `use the status name, e.g. "UNAVAILABLE", not ${s}` : `unknown gRPC status "${s}"; expected one of ${Object.keys(GRPC_STATUS_CODES).join(', ')}`;
        ctx.addIssue({ code: 'custom', message });
      })
      .optional(),
    percentage: PercentSchema.optional(),
  },
  ['http2Error', 'percent'],
).superRefine((a, ctx) => {
  if ((a.httpStatus === undefined) === (a.grpcStatus === undefined)) {
    ctx.addIssue({ code: 'custom', message: a.httpStatus === undefined ? 'one of httpStatus or grpcStatus is required' : 'httpStatus and grpcStatus cannot both be set' });
  }
});

export const HTTPFaultInjectionSchema = istioObject({ delay: FaultDelaySchema.optional(), abort: FaultAbortSchema.optional() }).superRefine((f, ctx) => {
  if (!f.delay && !f.abort) ctx.addIssue({ code: 'custom', message: 'at least one of delay or abort is required' });
});
export type HTTPFaultInjection = z.infer<typeof HTTPFaultInjectionSchema>;

export const HTTPMirrorPolicySchema = istioObject({ destination: DestinationSchema, percentage: PercentSchema.optional() });

const METHOD = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an HTTP method such as "GET"');
const CORS_HEADER = z.string().regex(/^([!#$%&'*+\-.^_`|~0-9A-Za-z]+|\*)$/, 'must be an HTTP header name or "*"');

export const CorsPolicySchema = istioObject(
  {
    allowOrigins: z.array(StringMatchSchema).optional(),
    allowMethods: z.array(METHOD).optional(),
    allowHeaders: z.array(CORS_HEADER).optional(),
    exposeHeaders: z.array(CORS_HEADER).optional(),
    maxAge: DurationSchema.optional(),
    allowCredentials: z.boolean().optional(),
    unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE'], { error: 'must be UNSPECIFIED, FORWARD or IGNORE' }).optional(),
  },
  ['allowOrigin'],
);
export type CorsPolicy = z.infer<typeof CorsPolicySchema>;

// Envoy's default max_direct_response_body_size_bytes; a larger body would be refused by every Envoy.
export const MAX_DIRECT_BODY_BYTES = 4096;

export const HTTPDirectResponseSchema = istioObject({
  status: z.int().min(200, 'must be an HTTP status from 200 to 599').max(599, 'must be an HTTP status from 200 to 599'),
  body: istioObject({ string: z.string().optional(), bytes: z.base64('must be base64').optional() })
    .superRefine((b, ctx) => {
      if ((b.string === undefined) === (b.bytes === undefined)) {
        ctx.addIssue({ code: 'custom', message: b.string === undefined ? 'one of string or bytes is required' : 'string and bytes cannot both be set' });
        return;
      }
      const size = b.string !== undefined ? new TextEncoder().encode(b.string).length : Math.floor((b.bytes!.replace(/=+$/, '').length * 3) / 4);
      if (size > MAX_DIRECT_BODY_BYTES) ctx.addIssue({ code: 'custom', message: `the body is ${size} bytes; at most ${MAX_DIRECT_BODY_BYTES} (Envoy's limit for direct responses)` });
    })
    .optional(),
});
export type HTTPDirectResponse = z.infer<typeof HTTPDirectResponseSchema>;

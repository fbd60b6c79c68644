import { z } from 'zod';
import { istioObject } from './common';
import { DurationSchema } from './common';
import { LocalityLbSettingSchema } from './locality-lb';

// PASSTHROUGH: to the address the caller dialled, no load balancing (Istio); an ORIGINAL_DST cluster.
const SimpleLbSchema = z.enum(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH'], {
  error: (iss) => {
    if (iss.input === 'LEAST_CONN') return 'LEAST_CONN is a deprecated alias; use LEAST_REQUEST';
    if (iss.input === 'UNSPECIFIED') return 'expected ROUND_ROBIN, LEAST_REQUEST, RANDOM or PASSTHROUGH (leave simple out for the default)';
    return `expected ROUND_ROBIN, LEAST_REQUEST, RANDOM or PASSTHROUGH, got ${JSON.stringify(iss.input)}`;
  },
});

// RFC 7230 token characters, as Envoy's HTTP_HEADER_NAME rule.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const HeaderNameSchema = z.string().regex(HEADER_NAME, 'must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)');

export const HttpCookieSchema = istioObject(
  {
    name: z.string().min(1, 'must not be empty'),
    path: z.string().optional(),
    // Istio requires it; "0s" makes Envoy hash on a session cookie it sets itself.
    ttl: DurationSchema,
  },
  ['attributes'],
);

const MAX_RING = 8_388_608; // Envoy's and gRPC's ceiling
const MAX_MAGLEV = 5_000_011; // Envoy's ceiling; the table size must be prime

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

const KEYS = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const;

export const ConsistentHashSchema = istioObject(
  {
    httpHeaderName: HeaderNameSchema.optional(),
    httpCookie: HttpCookieSchema.optional(),
    useSourceIp: z.literal(true, { error: 'must be true (leave it out to hash on something else)' }).optional(),
    httpQueryParameterName: z.string().min(1, 'must not be empty').optional(),
    ringHash: istioObject({ minimumRingSize: z.int().min(1).max(MAX_RING).optional() }).optional(),
    maglev: istioObject({ tableSize: z.int().min(1).max(MAX_MAGLEV).refine(isPrime, 'must be a prime number (Envoy requires it)').optional() }).optional(),
    // Deprecated in Istio; checked below so the message can point at its replacement.
    minimumRingSize: z.unknown().optional(),
  },
).superRefine((hash, ctx) => {
  const set = KEYS.filter((k) => hash[k] !== undefined);
  if (set.length === 0) ctx.addIssue({ code: 'custom', path: [], message: `one of ${KEYS.join(', ')} is required` });
  for (const extra of set.slice(1)) ctx.addIssue({ code: 'custom', path: [extra], message: `only one hash key may be set; ${set[0]} is already` });
  if (hash.ringHash && hash.maglev) ctx.addIssue({ code: 'custom', path: ['maglev'], message: 'set either ringHash or maglev, not both' });
  if (hash.minimumRingSize !== undefined) ctx.addIssue({ code: 'custom', path: ['minimumRingSize'], message: 'deprecated in Istio; use ringHash.minimumRingSize' });
});
export type ConsistentHash = z.infer<typeof ConsistentHashSchema>;

export const LoadBalancerSettingsSchema = istioObject(
  {
    simple: SimpleLbSchema.optional(),
    consistentHash: ConsistentHashSchema.optional(),
    localityLbSetting: LocalityLbSettingSchema.optional(),
  },
  ['warmupDurationSecs', 'warmup'],
).superRefine((lb, ctx) => {
  if (lb.simple && lb.consistentHash) ctx.addIssue({ code: 'custom', path: ['consistentHash'], message: 'set either simple or consistentHash, not both' });
});
export type LoadBalancerSettings = z.infer<typeof LoadBalancerSettingsSchema>;

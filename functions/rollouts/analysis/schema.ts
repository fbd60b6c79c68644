import { z } from 'zod';
import { TEMPLATE_NAMES } from './templates';

const DAY_SECONDS = 86_400;
const iso = z.string().describe('ISO 8601 time');

export const INCONCLUSIVE_ACTIONS = ['pause', 'abort', 'fail'] as const;

/** One metric: a PromQL query (or a ready-made template), what range passes, how often, how many failures are tolerated. */
export const MetricSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-"'),
    template: z.enum(TEMPLATE_NAMES).optional().describe('A ready-made query (envoy-success-rate, envoy-latency-p99, grpc-success-rate, grpc-latency-p99); or give `query`'),
    query: z.string().min(1).max(4096).optional().describe('PromQL, with {{candidate.cluster}}, {{stable.cluster}}, {{candidate.host}}, {{candidate.subset}}, {{candidate.port}} (and stable.*), {{interval}}, {{clusterLabel}} filled in'),
    clusterLabel: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name').default('envoy_cluster_name').describe("The label holding Envoy's cluster name: envoy_cluster_name (Envoy's default tags) or cluster_name (Istio's bootstrap)"),
    thresholdRange: z
      .strictObject({ min: z.number().optional(), max: z.number().optional() })
      .refine((t) => t.min !== undefined || t.max !== undefined, 'give min, max or both')
      .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, { message: 'min must not be greater than max', path: ['min'] })
      .describe('A measurement passes when min <= value <= max'),
    intervalSeconds: z.int().min(1).max(DAY_SECONDS).default(60).describe('How often it is measured (and {{interval}}, the rate window)'),
    count: z.int().min(1).max(100).default(1).describe('Measurements per step (step analysis); background metrics measure until the rollout ends'),
    failureLimit: z.int().min(0).max(100).default(0).describe('Failed measurements tolerated; one more aborts the rollout'),
    inconclusive: z.enum(INCONCLUSIVE_ACTIONS).default('pause').describe('What a measurement with no value (no data, NaN, Prometheus unreachable or refusing the query) does: pause the rollout, abort it, or count as a failure'),
    inconclusiveLimit: z.int().min(0).max(100).default(0).describe('Consecutive inconclusive measurements tolerated before `inconclusive` applies'),
  })
  .superRefine((m, ctx) => {
    if ((m.template === undefined) === (m.query === undefined)) ctx.addIssue({ code: 'custom', path: ['query'], message: 'give exactly one of `query` and `template`' });
  });
export type MetricSpec = z.output<typeof MetricSchema>;

export const PROVIDER_SITES = ['edge', 'bridge'] as const;

const ProviderRequestSchema = z
  .strictObject({
    from: z.enum(PROVIDER_SITES).default('edge').describe('Who runs the queries: edge (the Worker fetches `url`) or bridge (a bridge queries its own XDSFLARE_PROMETHEUS_URL, for a Prometheus only the cluster reaches)'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048).optional().describe('The Prometheus-compatible HTTP API base (…/api/v1/query is appended); from: edge only'),
    bearerToken: z.string().min(1).max(8192).optional().describe('Sent as Authorization: Bearer; stored encrypted, never shown'),
    basicAuth: z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) }).optional().describe('The password is stored encrypted, never shown'),
    timeoutSeconds: z.int().min(1).max(30).default(10),
  })
  .refine((p) => !(p.bearerToken && p.basicAuth), { message: 'give bearerToken or basicAuth, not both', path: ['basicAuth'] })
  .superRefine((p, ctx) => {
    if (p.from === 'edge' && !p.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required: the Prometheus-compatible API the edge queries (or from: bridge, for a Prometheus only the cluster reaches)' });
    if (p.from === 'bridge') {
      for (const field of ['url', 'bearerToken', 'basicAuth'] as const) {
        if (p[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'from: bridge queries the Prometheus the bridge is configured with (XDSFLARE_PROMETHEUS_URL): no url or credential here' });
      }
    }
  });

export const AnalysisRequestSchema = z
  .strictObject({
    provider: ProviderRequestSchema,
    metrics: z.array(MetricSchema).max(10).default([]).describe("Measured during each step's pause, after it converged: the step advances only when they pass"),
    background: z.array(MetricSchema).max(10).default([]).describe('Measured from the first step until the rollout ends; a failure aborts at any step'),
  })
  .superRefine((a, ctx) => {
    if (!a.metrics.length && !a.background.length) ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'name at least one metric (or background metric)' });
    const seen = new Set<string>();
    [...a.metrics.map((m, i) => ['metrics', i, m.name] as const), ...a.background.map((m, i) => ['background', i, m.name] as const)].forEach(([list, i, name]) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [list, i, 'name'], message: `"${name}" is named twice` });
      seen.add(name);
    });
  });
export type AnalysisRequest = z.output<typeof AnalysisRequestSchema>;

export const GATE_TYPES = ['pre-rollout', 'rollout', 'confirm-promotion'] as const;
export type GateType = (typeof GATE_TYPES)[number];

export const GateSchema = z.strictObject({
  type: z.enum(GATE_TYPES).describe('pre-rollout: before the first step is committed; rollout: before each later step; confirm-promotion: before the 100% step'),
  webhook: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must name a webhook (PUT /api/v1/webhooks/{name})').describe('The registered webhook called (its URL, signed with its secret)'),
  onFailure: z.enum(['hold', 'abort']).default('hold').describe('hold: retry (the webhook retries) until it answers 2xx; abort: roll back at the first non-2xx answer'),
});
export type Gate = z.output<typeof GateSchema>;

/** The provider as stored and shown: the secret only as a cipher, which the API never shows. */
export const ProviderSchema = z.object({
  /** Absent on rollouts from before `from`: the edge. */
  from: z.enum(PROVIDER_SITES).optional(),
  url: z.string().optional(),
  auth: z.enum(['none', 'bearer', 'basic']),
  username: z.string().optional(),
  timeoutSeconds: z.int(),
});
export type Provider = z.infer<typeof ProviderSchema> & { credential?: string };

export const VERDICTS = ['passed', 'failed', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const MeasurementSchema = z.object({
  metric: z.string(),
  /** The step (index into steps) it judged; null for background metrics. */
  step: z.int().nullable(),
  query: z.string().describe('The PromQL sent, placeholders filled in'),
  value: z.number().nullable().describe('null when there was none (no data, NaN, an error)'),
  at: iso,
  verdict: z.enum(VERDICTS),
  message: z.string().optional().describe('Why it is inconclusive (Prometheus unreachable, an error, no data), or what range it missed'),
});
export type Measurement = z.infer<typeof MeasurementSchema>;

export const AnalysisSchema = z.object({
  provider: ProviderSchema,
  metrics: z.array(MetricSchema),
  background: z.array(MetricSchema),
  /** Oldest first; at most MAX_MEASUREMENTS (the oldest dropped, counts kept). */
  measurements: z.array(MeasurementSchema),
  /** When the rollout was last resumed after an analysis pause: inconclusive ones before it are forgiven. */
  resumedAt: iso.nullable(),
  /** from: bridge: queries a bridge has yet to answer. */
  pending: z.array(z.object({ id: z.string(), metric: z.string(), step: z.int().nullable(), query: z.string(), at: iso })).optional(),
});
export type Analysis = Omit<z.infer<typeof AnalysisSchema>, 'provider'> & { provider: Provider };

export const GateCallSchema = z.object({
  type: z.enum(GATE_TYPES),
  webhook: z.string(),
  /** The step it lets in (index into steps). */
  step: z.int(),
  /** The webhook delivery (GET /api/v1/webhooks/{name}/deliveries lists its attempts). */
  delivery: z.string(),
  at: iso,
  verdict: z.enum(['pending', 'passed', 'held', 'failed']),
  status: z.int().nullable().describe("The receiver's HTTP status, null when it could not be reached"),
  message: z.string().optional(),
});
export type GateCall = z.infer<typeof GateCallSchema>;

/** Why an active rollout does not move on by itself (a gate holding, or paused by an inconclusive analysis). */
export const HoldSchema = z.object({ by: z.enum(['analysis', 'gate']), message: z.string(), at: iso });
export type Hold = z.infer<typeof HoldSchema>;

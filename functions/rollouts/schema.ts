import { z } from 'zod';
import { DestinationSchema, Dns1123LabelSchema, isDns1123Subdomain, KINDS } from '../../xds';
import { StepKindSchema, StepRequestSchema, type StepKind } from './step-kinds';
import { AnalysisRequestSchema, AnalysisSchema, GateCallSchema, GateSchema, HoldSchema, MeasurementSchema, type Analysis } from './analysis/schema';

/** Candidate weights per step when the request gives none. */
export const DEFAULT_STEPS = [10, 25, 50, 100];
export const MAX_MANIFEST_OBJECTS = 500;
const DAY_SECONDS = 86_400;

// The ordering rules (weights increasing, ending at 100, mirror and A/B steps first) are checked by create.ts (stepOrderProblems).
const StepsSchema = z.array(StepRequestSchema).min(1).max(100);

export const BlueGreenSchema = z.strictObject({
  rollbackWindowSeconds: z
    .int()
    .min(1)
    .max(DAY_SECONDS)
    .describe('After the switch converged: a failing metric or a NACK within this window rolls the rollout back; once it passed, the rollout has succeeded'),
});

export const VirtualServiceRefSchema = z.strictObject({
  namespace: Dns1123LabelSchema.default('default'),
  name: z.string().refine(isDns1123Subdomain, 'must be a DNS-1123 subdomain (the VirtualService metadata.name)'),
});

/** POST /api/v1/rollouts: what to shift, between which destinations, in which steps. */
export const RolloutRequestSchema = z.strictObject({
  name: z.string().min(1).max(253).optional().describe('A label for the rollout, e.g. the release name'),
  virtualService: VirtualServiceRefSchema,
  route: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe('The http route: its `name`, or `#<index>`; may be omitted when the VirtualService has one http route'),
  stable: DestinationSchema,
  candidate: DestinationSchema,
  steps: StepsSchema.optional().describe(
    'Each step: a candidate weight (strictly increasing, the last 100), `{mirror: percent}` (a copy of that share of the requests to the candidate, answers discarded) or `{match: [...]}` (A/B: only matching requests to the candidate); mirror and A/B steps come before the first weight. Default 10, 25, 50, 100 (a blue-green rollout: 100)',
  ),
  blueGreen: BlueGreenSchema.optional().describe('Blue-green: all traffic switches at once (the only weight step is 100), then the rollback window watches it'),
  pauseSeconds: z.int().min(0).max(DAY_SECONDS).default(30).describe('Minimum pause after a step converged before the next'),
  timeoutSeconds: z.int().min(1).max(DAY_SECONDS).default(300).describe('A step not converged within this aborts the rollout'),
  manifest: z
    .array(z.record(z.string(), z.unknown()))
    .max(MAX_MANIFEST_OBJECTS)
    .optional()
    .describe('Istio objects (the candidate config) committed with the first step and restored on abort'),
  analysis: AnalysisRequestSchema.optional().describe('Prometheus metrics that judge the candidate: per step (during its pause) and in the background'),
  gates: z.array(GateSchema).max(10).optional().describe("Webhooks asked before the rollout, before each step and before promotion (Flagger's pre-rollout, rollout, confirm-promotion)"),
});
export type RolloutRequest = z.output<typeof RolloutRequestSchema>;

export const ROLLOUT_STATES = ['progressing', 'paused', 'succeeded', 'aborted'] as const;
export const STEP_OUTCOMES = ['pending', 'converged', 'rejected', 'timeout', 'skipped'] as const;
/** `conflict`: the config changed under the rollout so that a step could not be committed (the route is gone, the write refused). */
/** `analysis`: a metric failed (or was inconclusive, configured to abort); `gate`: a gate answered non-2xx, configured to abort. */
export const ABORT_REASONS = ['rejected', 'timeout', 'manual', 'conflict', 'analysis', 'gate'] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

const iso = z.string().describe('ISO 8601 time');

export const StepRecordSchema = z.object({
  step: z.int(),
  weight: z.int(),
  /** The revision this step committed; null for a step skipped by promote. */
  revision: z.int().nullable(),
  startedAt: iso.nullable(),
  convergedAt: iso.nullable(),
  /** When this step aborts the rollout if it has not converged. */
  deadline: iso.nullable(),
  outcome: z.enum(STEP_OUTCOMES),
  /** Converged with no proxy connected to judge it (revision status `no-proxies`). */
  noProxies: z.boolean().optional(),
  /** What revision status said of stale proxies when the step converged (they are waited for by nobody). */
  note: z.string().optional(),
  /** The step's metric analysis after it converged: running, passed (it may advance) or failed (it aborted). */
  analysis: z.enum(['running', 'passed', 'failed']).optional(),
  /** Blue-green's switch: when its rollback window ends (a failure before then rolls back). */
  windowEndsAt: iso.optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

export const RejectionSchema = z.object({ node_id: z.string(), type: z.string(), message: z.string(), inferred: z.boolean() });

export const AbortRecordSchema = z.object({
  reason: z.enum(ABORT_REASONS),
  message: z.string(),
  /** The revision in effect when the rollout aborted (the one rejected or timed out). */
  revision: z.int().nullable(),
  rejections: z.array(RejectionSchema),
  /** The revision that put the route back on stable and restored the manifest's objects. */
  rollbackRevision: z.int().nullable(),
  /** Set when the rollback could not be committed as planned (what was done instead, or why nothing was). */
  rollbackError: z.string().optional(),
  /** An `analysis` abort: the measurements that decided it (with their query and value). */
  measurements: z.array(MeasurementSchema).optional(),
  at: iso,
});
export type AbortRecord = z.infer<typeof AbortRecordSchema>;

const ObjectKeySchema = z.object({ kind: z.enum(KINDS), namespace: z.string(), name: z.string() });

/** A rollout as the API shows it. Everything but id, state and the timestamps lives in the row's `body`. */
export const RolloutSchema = z.object({
  id: z.int(),
  name: z.string().nullable(),
  state: z.enum(ROLLOUT_STATES),
  virtualService: z.object({ namespace: z.string(), name: z.string() }),
  route: z.string(),
  stable: DestinationSchema,
  candidate: DestinationSchema,
  steps: z.array(z.int()).describe("The candidate's weight of the route per step (0 in mirror and A/B steps)"),
  /** Set when the request had mirror or A/B steps, or was blue-green: what each step does. */
  stepKinds: z.array(StepKindSchema).optional(),
  blueGreen: BlueGreenSchema.optional(),
  pauseSeconds: z.int(),
  timeoutSeconds: z.int(),
  /** The objects of the request's manifest (their keys). */
  manifest: z.array(ObjectKeySchema),
  currentStep: z.int().describe('Index into steps'),
  weight: z.int().describe('The candidate weight now in effect'),
  baseRevision: z.int().nullable().describe('The head revision when the rollout started'),
  history: z.array(StepRecordSchema),
  abort: AbortRecordSchema.nullable(),
  /** Set when the request had `analysis`: its metrics and every measurement. */
  analysis: AnalysisSchema.nullable().optional(),
  gates: z.array(GateSchema).optional(),
  /** Every gate call and how it was answered, oldest first. */
  gateCalls: z.array(GateCallSchema).optional(),
  /** Why the rollout waits (a gate holding, an inconclusive analysis that paused it); null when it does not. */
  hold: HoldSchema.nullable().optional(),
  author: z.string(),
  source: z.record(z.string(), z.string()),
  createdAt: iso,
  updatedAt: iso,
  finishedAt: iso.nullable(),
});
/** The API's view plus what it never shows: the provider's encrypted credential, a held-back manifest. */
export type Rollout = Omit<z.infer<typeof RolloutSchema>, 'analysis' | 'stepKinds'> & {
  stepKinds?: StepKind[];
  analysis?: Analysis | null;
  /** The manifest's objects, kept only while a pre-rollout gate holds step 0 back. */
  pendingManifest?: Record<string, unknown>[];
};

/** GET /rollouts/{id} of an active rollout: the route as it is now, which a write by someone else may have moved off `weight`. */
export const RouteNowSchema = z.object({
  candidateWeight: z.int().nullable().describe("The candidate's share of the route now, in percent; null when the route or VirtualService is gone"),
  revision: z.int().nullable().describe('The revision that last changed the VirtualService'),
  matches: z.boolean().describe("False when the route no longer sends `weight` percent to the candidate (until the rollout's next step)"),
});
export type RouteNow = z.infer<typeof RouteNowSchema>;
export const RolloutViewSchema = RolloutSchema.extend({ routeNow: RouteNowSchema.optional() });
/** What the `body` column holds. */
export type RolloutBody = Omit<Rollout, 'id' | 'state' | 'createdAt' | 'updatedAt'>;

export const RolloutListSchema = z.object({ items: z.array(RolloutSchema) });

export const AbortRequestSchema = z.strictObject({ reason: z.string().min(1).max(1024).optional() });

export const RolloutIdParamsSchema = z.object({ id: z.string().regex(/^[1-9]\d*$/).describe('The rollout id') });
export const ListQuerySchema = z.object({
  state: z.enum(ROLLOUT_STATES).optional(),
  limit: z.string().regex(/^\d+$/).optional().describe('At most this many, newest first (default 50, at most 500)'),
});
export const WaitQuerySchema = z.object({ wait: z.string().optional().describe('Seconds (0-300) to hold the request until the rollout is succeeded or aborted') });

export const ROLLOUT_ACTIONS = ['pause', 'resume', 'promote', 'abort'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

import { z } from 'zod';
import { istioObject } from './common';
import { CountSchema, durationAtLeast, PercentSchema } from './policy-fields';

export const OutlierDetectionSchema = istioObject({
  consecutive5xxErrors: CountSchema.optional(),
  consecutiveGatewayErrors: CountSchema.optional(),
  consecutiveLocalOriginFailures: CountSchema.optional(),
  splitExternalLocalOriginErrors: z.boolean().optional(),
  interval: durationAtLeast(1).optional(),
  baseEjectionTime: durationAtLeast(1).optional(),
  maxEjectionPercent: PercentSchema.optional(),
  minHealthPercent: PercentSchema.optional(),
  // Deprecated in Istio; checked below so the message can point at its replacement.
  consecutiveErrors: z.unknown().optional(),
}).superRefine((od, ctx) => {
  if (od.consecutiveErrors !== undefined) ctx.addIssue({ code: 'custom', path: ['consecutiveErrors'], message: 'deprecated in Istio; use consecutive5xxErrors' });
  if (od.consecutiveLocalOriginFailures && !od.splitExternalLocalOriginErrors) {
    ctx.addIssue({ code: 'custom', path: ['consecutiveLocalOriginFailures'], message: 'needs splitExternalLocalOriginErrors: true (local-origin failures are only counted apart when split)' });
  }
});
export type OutlierDetection = z.infer<typeof OutlierDetectionSchema>;

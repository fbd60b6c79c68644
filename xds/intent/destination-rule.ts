import { z } from 'zod';
import { Dns1123LabelSchema, ExportToSchema, intentSchema, isHostname, istioObject, LabelsSchema } from './common';

const SimpleLbSchema = z.enum(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM'], {
  error: (iss) => {
    if (iss.input === 'PASSTHROUGH') return 'PASSTHROUGH is not supported: this control plane always load-balances over known endpoints';
    if (iss.input === 'LEAST_CONN') return 'LEAST_CONN is a deprecated alias; use LEAST_REQUEST';
    if (iss.input === 'UNSPECIFIED') return 'expected ROUND_ROBIN, LEAST_REQUEST or RANDOM (leave simple out for the default)';
    return `expected ROUND_ROBIN, LEAST_REQUEST or RANDOM, got ${JSON.stringify(iss.input)}`;
  },
});

export const LoadBalancerSettingsSchema = istioObject({ simple: SimpleLbSchema.optional() }, [
  'consistentHash',
  'localityLbSetting',
  'warmupDurationSecs',
  'warmup',
]);
export type LoadBalancerSettings = z.infer<typeof LoadBalancerSettingsSchema>;

export const TrafficPolicySchema = istioObject({ loadBalancer: LoadBalancerSettingsSchema.optional() }, [
  'connectionPool',
  'outlierDetection',
  'tls',
  'portLevelSettings',
  'tunnel',
  'proxyProtocol',
  'retryBudget',
]);
export type TrafficPolicy = z.infer<typeof TrafficPolicySchema>;

export const SubsetSchema = istioObject({
  name: Dns1123LabelSchema,
  // Optional as in Istio: a subset without labels selects every endpoint of the host.
  labels: LabelsSchema.optional(),
  trafficPolicy: TrafficPolicySchema.optional(),
});
export type Subset = z.infer<typeof SubsetSchema>;

export const DestinationRuleSpecSchema = istioObject(
  {
    host: z
      .string()
      .refine((s) => isHostname(s, { wildcard: true }), 'must be a DNS name, optionally with a leading "*." wildcard'),
    trafficPolicy: TrafficPolicySchema.optional(),
    subsets: z.array(SubsetSchema).optional(),
    exportTo: ExportToSchema.optional(),
  },
  ['workloadSelector'],
).superRefine((spec, ctx) => {
  const seen = new Set<string>();
  (spec.subsets ?? []).forEach((subset, i) => {
    if (seen.has(subset.name)) ctx.addIssue({ code: 'custom', path: ['subsets', i, 'name'], message: `duplicate subset name "${subset.name}"` });
    seen.add(subset.name);
  });
});
export type DestinationRuleSpec = z.infer<typeof DestinationRuleSpecSchema>;

export const DestinationRuleSchema = intentSchema('DestinationRule', DestinationRuleSpecSchema);

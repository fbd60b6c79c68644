import { z } from 'zod';
import { Dns1123LabelSchema, ExportToSchema, intentSchema, isHostname, istioObject, LabelsSchema } from './common';
import { checkLocalityFailover } from './locality-lb';
import { TrafficPolicySchema } from './traffic-policy';

export { LoadBalancerSettingsSchema, TrafficPolicySchema, type LoadBalancerSettings, type TrafficPolicy } from './traffic-policy';

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
      // `*` and `*.suffix`: a mesh-wide or namespace-wide rule, as in Istio.
      .refine((s) => s === '*' || isHostname(s, { wildcard: true }), 'must be a DNS name, optionally with a leading "*." wildcard, or "*"'),
    trafficPolicy: TrafficPolicySchema.optional(),
    subsets: z.array(SubsetSchema).optional(),
    exportTo: ExportToSchema.optional(),
    // Istio 1.14+: the rule applies only to the proxies of its own namespace whose labels match (xds/translate/destination-rule-lookup.ts).
    workloadSelector: istioObject({
      matchLabels: LabelsSchema.refine((m) => Object.keys(m).length > 0, 'at least one label is required; leave workloadSelector out to apply the rule to every proxy'),
    }).optional(),
  },
).superRefine((spec, ctx) => {
  // Istio's validateExportTo: a rule with a workloadSelector is never exported beyond its own namespace.
  const exportTo = spec.exportTo ?? [];
  if (spec.workloadSelector && (exportTo.length > 1 || exportTo.some((e) => e === '*' || e === '~'))) {
    ctx.addIssue({ code: 'custom', path: ['exportTo'], message: 'a DestinationRule with workloadSelector applies only in its own namespace: exportTo may only be "." (or that namespace\'s name), as Istio validates' });
  }
  const seen = new Set<string>();
  (spec.subsets ?? []).forEach((subset, i) => {
    if (seen.has(subset.name)) ctx.addIssue({ code: 'custom', path: ['subsets', i, 'name'], message: `duplicate subset name "${subset.name}"` });
    seen.add(subset.name);
  });
  checkLocalityFailover(spec, ctx);
});
export type DestinationRuleSpec = z.infer<typeof DestinationRuleSpecSchema>;

export const DestinationRuleSchema = intentSchema('DestinationRule', DestinationRuleSpecSchema);

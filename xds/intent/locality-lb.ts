import { z } from 'zod';
import { istioObject } from './common';

/** `region`, `region/zone` or `region/zone/sub-zone`; one `*` allowed, as the last part (Istio's rule). */
const LocalityPatternSchema = z.string().superRefine((s, ctx) => {
  const parts = s.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) ctx.addIssue({ code: 'custom', message: `"${s}" must be region, region/zone or region/zone/sub-zone` });
  else if (parts.slice(0, -1).some((p) => p.includes('*')) || (parts.at(-1)!.includes('*') && parts.at(-1) !== '*')) {
    ctx.addIssue({ code: 'custom', message: `"${s}": a wildcard must be a whole part, and the last one (e.g. "us-west/*")` });
  }
});

const RegionSchema = z.string().min(1, 'must not be empty').refine((s) => !s.includes('/') && !s.includes('*'), 'must be a region: no "/" and no "*"');

export const LocalityDistributeSchema = istioObject({
  from: LocalityPatternSchema,
  to: z.record(LocalityPatternSchema, z.int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100')),
});

export const LocalityFailoverSchema = istioObject({ from: RegionSchema, to: RegionSchema });

/** Istio's LocalityLoadBalancerSetting: relative to each proxy's own locality (its view's locality). */
export const LocalityLbSettingSchema = istioObject({
  distribute: z.array(LocalityDistributeSchema).optional(),
  failover: z.array(LocalityFailoverSchema).optional(),
  // Checked below: the message says why it is refused.
  failoverPriority: z.unknown().optional(),
  enabled: z.boolean().optional(),
}).superRefine((lb, ctx) => {
  if (lb.distribute && lb.failover) ctx.addIssue({ code: 'custom', path: ['failover'], message: 'set either distribute or failover, not both (as in Istio)' });
  if (lb.failoverPriority !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['failoverPriority'], message: 'not supported: it orders endpoints by labels shared with each proxy; use failover (regions) or the default priorities by region, zone and sub-zone' });
  }
  (lb.distribute ?? []).forEach((d, i) => {
    const total = Object.values(d.to).reduce((a, b) => a + b, 0);
    if (total !== 100) ctx.addIssue({ code: 'custom', path: ['distribute', i, 'to'], message: `weights must add up to 100, not ${total}` });
  });
  (lb.failover ?? []).forEach((f, i) => {
    if (f.from === f.to) ctx.addIssue({ code: 'custom', path: ['failover', i, 'to'], message: 'must differ from from: failover is to another region' });
  });
});
export type LocalityLbSetting = z.infer<typeof LocalityLbSettingSchema>;

interface PolicyLike {
  loadBalancer?: { localityLbSetting?: LocalityLbSetting | undefined } | undefined;
  outlierDetection?: unknown;
  portLevelSettings?: PolicyLike[] | undefined;
}

/**
 * Failover needs outlier detection in the policy that applies (Istio: without it no endpoint is ever
 * ejected, so traffic never leaves the first priority). A port-level entry replaces the whole policy;
 * a subset inherits the rule's outlierDetection unless it sets its own.
 */
export function checkLocalityFailover(spec: { trafficPolicy?: PolicyLike | undefined; subsets?: { trafficPolicy?: PolicyLike | undefined }[] | undefined }, ctx: z.RefinementCtx): void {
  const check = (policy: PolicyLike | undefined, inherited: boolean, path: (string | number)[]) => {
    if (!policy) return;
    const fails = (p: PolicyLike) => (p.loadBalancer?.localityLbSetting?.failover?.length ?? 0) > 0 && p.loadBalancer?.localityLbSetting?.enabled !== false;
    if (fails(policy) && policy.outlierDetection === undefined && !inherited) {
      ctx.addIssue({ code: 'custom', path: [...path, 'loadBalancer', 'localityLbSetting', 'failover'], message: 'needs outlierDetection: without it no endpoint is ejected and traffic never fails over (as in Istio)' });
    }
    (policy.portLevelSettings ?? []).forEach((p, i) => {
      if (fails(p) && p.outlierDetection === undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'portLevelSettings', i, 'loadBalancer', 'localityLbSetting', 'failover'], message: 'needs outlierDetection in this port-level entry, which replaces the whole policy' });
      }
    });
  };
  check(spec.trafficPolicy, false, ['trafficPolicy']);
  const topHasOutlier = spec.trafficPolicy?.outlierDetection !== undefined;
  (spec.subsets ?? []).forEach((s, i) => check(s.trafficPolicy, topHasOutlier, ['subsets', i, 'trafficPolicy']));
}

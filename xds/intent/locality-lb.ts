import { z } from 'zod';
import { isLabelValue, isQualifiedName, istioObject } from './common';

/** The label keys Istio reads from a proxy's locality (node.locality), not from its labels. */
export const LOCALITY_LABEL_KEYS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'] as const;
/** 0 for region, 1 zone, 2 sub-zone; -1 for an ordinary label (Istio reads those three from the locality). */
export const localityLabelIndex = (key: string) => (LOCALITY_LABEL_KEYS as readonly string[]).indexOf(key);
const NETWORK_LABEL = 'topology.istio.io/network';

/** A failoverPriority entry: a label key, or `key=value` (compare endpoints with that value instead of the proxy's). */
export function splitPriorityLabel(entry: string): { key: string; value?: string } {
  const eq = entry.indexOf('=');
  return eq === -1 ? { key: entry } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

const FailoverPrioritySchema = z.array(z.string()).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const { key, value } = splitPriorityLabel(entry);
    if (!isQualifiedName(key)) ctx.addIssue({ code: 'custom', path: [i], message: `"${entry}" must be a label key, or key=value` });
    else if (value !== undefined && !isLabelValue(value)) ctx.addIssue({ code: 'custom', path: [i], message: `"${entry}": "${value}" is not a label value` });
    else if (key === NETWORK_LABEL) {
      ctx.addIssue({ code: 'custom', path: [i], message: `not supported: ${NETWORK_LABEL} compares networks, and this control plane has none (endpoint network is only stored)` });
    } else if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `label ${key} is listed twice` });
    seen.add(key);
  });
});

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
  failoverPriority: FailoverPrioritySchema.optional(),
  enabled: z.boolean().optional(),
}).superRefine((lb, ctx) => {
  if (lb.distribute && lb.failover) ctx.addIssue({ code: 'custom', path: ['failover'], message: 'set either distribute or failover, not both (as in Istio)' });
  if (lb.distribute && lb.failoverPriority?.length) {
    ctx.addIssue({ code: 'custom', path: ['failoverPriority'], message: 'set either distribute or failoverPriority, not both (Istio ignores failoverPriority when distribute is set)' });
  }
  if (lb.failover?.length) {
    (lb.failoverPriority ?? []).forEach((entry, i) => {
      if ((LOCALITY_LABEL_KEYS as readonly string[]).includes(splitPriorityLabel(entry).key)) {
        ctx.addIssue({ code: 'custom', path: ['failoverPriority', i], message: `cannot be set together with failover: ${splitPriorityLabel(entry).key} is a locality label (as in Istio)` });
      }
    });
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
 * Failover (and failoverPriority) needs outlier detection in the policy that applies (Istio: without it no endpoint is ever
 * ejected, so traffic never leaves the first priority). A port-level entry replaces the whole policy;
 * a subset inherits the rule's outlierDetection unless it sets its own.
 */
export function checkLocalityFailover(spec: { trafficPolicy?: PolicyLike | undefined; subsets?: { trafficPolicy?: PolicyLike | undefined }[] | undefined }, ctx: z.RefinementCtx): void {
  const check = (policy: PolicyLike | undefined, inherited: boolean, path: (string | number)[]) => {
    if (!policy) return;
    // The field that fails over: failover, else failoverPriority.
    const fails = (p: PolicyLike) => {
      const lb = p.loadBalancer?.localityLbSetting;
      if (!lb || lb.enabled === false) return undefined;
      return lb.failover?.length ? 'failover' : lb.failoverPriority?.length ? 'failoverPriority' : undefined;
    };
    const field = fails(policy);
    if (field && policy.outlierDetection === undefined && !inherited) {
      ctx.addIssue({ code: 'custom', path: [...path, 'loadBalancer', 'localityLbSetting', field], message: 'needs outlierDetection: without it no endpoint is ejected and traffic never fails over (as in Istio)' });
    }
    (policy.portLevelSettings ?? []).forEach((p, i) => {
      const portField = fails(p);
      if (portField && p.outlierDetection === undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'portLevelSettings', i, 'loadBalancer', 'localityLbSetting', portField], message: 'needs outlierDetection in this port-level entry, which replaces the whole policy' });
      }
    });
  };
  check(spec.trafficPolicy, false, ['trafficPolicy']);
  const topHasOutlier = spec.trafficPolicy?.outlierDetection !== undefined;
  (spec.subsets ?? []).forEach((s, i) => check(s.trafficPolicy, topHasOutlier, ['subsets', i, 'trafficPolicy']));
}

import { z } from 'zod';
import { ClientTlsSettingsSchema } from './client-tls';
import { istioObject, PortSelectorSchema } from './common';
import { ConnectionPoolSettingsSchema } from './connection-pool';
import { LoadBalancerSettingsSchema } from './load-balancer';
import { OutlierDetectionSchema } from './outlier-detection';

export { LoadBalancerSettingsSchema, type LoadBalancerSettings } from './load-balancer';

/** The four policies a port can override; each replaces the inherited one whole, as in Istio. */
const policyFields = {
  loadBalancer: LoadBalancerSettingsSchema.optional(),
  connectionPool: ConnectionPoolSettingsSchema.optional(),
  outlierDetection: OutlierDetectionSchema.optional(),
  tls: ClientTlsSettingsSchema.optional(),
};

export const PortTrafficPolicySchema = istioObject({ port: PortSelectorSchema, ...policyFields });
export type PortTrafficPolicy = z.infer<typeof PortTrafficPolicySchema>;

export const TrafficPolicySchema = istioObject({ ...policyFields, portLevelSettings: z.array(PortTrafficPolicySchema).optional() }, [
  'tunnel',
  'proxyProtocol',
  'retryBudget',
]).superRefine((policy, ctx) => {
  const seen = new Set<number>();
  (policy.portLevelSettings ?? []).forEach((p, i) => {
    if (seen.has(p.port.number)) ctx.addIssue({ code: 'custom', path: ['portLevelSettings', i, 'port', 'number'], message: `duplicate port ${p.port.number}` });
    seen.add(p.port.number);
  });
});
export type TrafficPolicy = z.infer<typeof TrafficPolicySchema>;

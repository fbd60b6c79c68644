import { z } from 'zod';
import { intentSchema, istioObject, LabelsSchema } from './common';
import { EnvoyConfigObjectPatchFieldsSchema } from './envoy-filter-patch';
import { checkConfigPatch } from './envoy-filter-rules';

export * from './envoy-filter-patch';

export const EnvoyConfigObjectPatchSchema = EnvoyConfigObjectPatchFieldsSchema.superRefine(checkConfigPatch);

export const EnvoyFilterSpecSchema = istioObject(
  {
    workloadSelector: istioObject({ labels: LabelsSchema }).optional(),
    configPatches: z.array(EnvoyConfigObjectPatchSchema).min(1, 'at least one patch is required'),
    // Patches apply in order of priority (lower first), then namespace/name, as Istio orders them.
    priority: z.int().optional(),
  },
  ['targetRefs'],
);
export type EnvoyFilterSpec = z.infer<typeof EnvoyFilterSpecSchema>;

export const EnvoyFilterSchema = intentSchema('EnvoyFilter', EnvoyFilterSpecSchema);

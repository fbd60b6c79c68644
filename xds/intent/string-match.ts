import { z } from 'zod';
import { istioObject } from './common';
import { re2Problem } from './regex';

/** A regular expression in RE2 syntax (what Envoy and gRPC run). */
export const RegexSchema = z.string().superRefine((s, ctx) => {
  const problem = re2Problem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const shape = { exact: z.string().optional(), prefix: z.string().optional(), regex: RegexSchema.optional() };
const KINDS = ['exact', 'prefix', 'regex'] as const;

function oneKind(emptyAllowed: boolean) {
  return (m: { exact?: string | undefined; prefix?: string | undefined; regex?: string | undefined }, ctx: z.core.$RefinementCtx) => {
    const set = KINDS.filter((k) => m[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: 'custom', message: `exactly one of exact, prefix or regex is allowed; got ${set.join(' and ')}` });
    else if (set.length === 0 && !emptyAllowed) ctx.addIssue({ code: 'custom', message: 'exactly one of exact, prefix or regex is required' });
  };
}

/** Istio's StringMatch: exactly one of `exact`, `prefix` (case-sensitive) or `regex` (RE2 syntax). */
export const StringMatchSchema = istioObject(shape).superRefine(oneKind(false));
export type StringMatch = z.infer<typeof StringMatchSchema>;

/** A StringMatch for a header or query parameter, where Istio reads `{}` as "present, with any value". */
export const PresenceMatchSchema = istioObject(shape).superRefine(oneKind(true));
export type PresenceMatch = z.infer<typeof PresenceMatchSchema>;

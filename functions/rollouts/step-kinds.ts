import { z } from 'zod';
import type { Destination, HTTPMatchRequest, HTTPRoute, VirtualServiceSpec } from '../../xds';
import { StringMatchSchema } from '../../xds/intent/string-match';
import { sameDestination } from '../domain/config/route-lookup';
import { withCandidateWeight } from './route-weights';

const WeightSchema = z.int().min(1, 'must be at least 1 (a weight in percent)').max(100, 'must be at most 100 (a weight in percent)');

/** Header names as HTTP/2 and gRPC metadata carry them (Envoy matches them lowercased). */
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One A/B condition: every header given, and the cookie, must match (Flagger's `match` entries; Argo's setHeaderRoute). */
export const AbMatchSchema = z
  .strictObject({
    headers: z
      .record(z.string().regex(HEADER_NAME, 'must be a lowercase HTTP header name (gRPC metadata keys are lowercase)'), StringMatchSchema)
      .optional()
      .describe('Header (gRPC metadata) name → Istio StringMatch (exact, prefix or regex)'),
    cookie: z
      .strictObject({ name: z.string().regex(COOKIE_NAME, 'must be a cookie name (an RFC 6265 token)'), value: z.string().min(1).max(256) })
      .optional()
      .describe('Matches requests whose Cookie header has name=value (rendered as a regex on the cookie header, as Flagger does)'),
  })
  .refine((m) => Object.keys(m.headers ?? {}).length > 0 || m.cookie !== undefined, 'give headers, a cookie or both');
export type AbMatch = z.output<typeof AbMatchSchema>;

/** A request's step: a weight (25 or {weight: 25}), a mirror step, or an A/B (match) step. One object, so a bad field is named. */
export const StepRequestSchema = z.union(
  [
    WeightSchema,
    z
      .strictObject({
        weight: WeightSchema.optional(),
        mirror: z.number().gt(0, 'must be above 0').max(100, 'must be at most 100').optional().describe("Percent of the route's requests copied to the candidate; its answers are discarded, all traffic stays on stable"),
        match: z.array(AbMatchSchema).min(1).max(8).optional().describe('Requests matching any entry go to the candidate, all others stay on stable'),
      })
      .refine((s) => [s.weight, s.mirror, s.match].filter((x) => x !== undefined).length === 1, 'give exactly one of weight, mirror and match'),
  ],
  { error: 'expected a weight (1-100), {weight: n}, {mirror: percent} or {match: [...]}' },
);
export type StepRequest = z.output<typeof StepRequestSchema>;

/**
 * A step object that failed (a bad header name aborts zod's object branch, so the union reports
 * itself, not why): its own issues instead, under its path, so the 400 names the field.
 */
export function stepUnionIssues(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((iss) => {
    if (iss.code !== 'invalid_union' || iss.path[0] !== 'steps' || iss.path.length !== 2 || typeof iss.input !== 'object' || iss.input === null) return [iss];
    const inner = iss.errors[1] ?? [];
    return inner.length ? inner.map((e) => ({ ...e, path: [...iss.path, ...e.path] })) : [iss];
  });
}

/** A step as stored: what the route looks like while it is in effect. */
export type StepKind = { kind: 'weight'; weight: number } | { kind: 'mirror'; percentage: number } | { kind: 'match'; match: AbMatch[] };

export const StepKindSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('weight'), weight: z.int() }),
  z.object({ kind: z.literal('mirror'), percentage: z.number() }),
  z.object({ kind: z.literal('match'), match: z.array(AbMatchSchema) }),
]);

export function stepKindOf(s: StepRequest): StepKind {
  if (typeof s === 'number') return { kind: 'weight', weight: s };
  if (s.weight !== undefined) return { kind: 'weight', weight: s.weight };
  if (s.mirror !== undefined) return { kind: 'mirror', percentage: s.mirror };
  return { kind: 'match', match: s.match! };
}

/** The candidate's share of the route's own traffic while the step is in effect (mirror and A/B steps: 0). */
export const routedWeight = (k: StepKind) => (k.kind === 'weight' ? k.weight : 0);

/** The kinds of a rollout's steps; rollouts from before step kinds (and weight-only ones) have weights only. */
export const kindsOf = (r: { steps: number[]; stepKinds?: StepKind[] | undefined }): StepKind[] => r.stepKinds ?? r.steps.map((weight) => ({ kind: 'weight', weight }));

/** The ordering rules, as field errors on `steps[i]` (paths relative to `steps`). */
export function stepOrderProblems(kinds: StepKind[], blueGreen: boolean): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  const firstWeight = kinds.findIndex((k) => k.kind === 'weight');
  let last: number | undefined;
  kinds.forEach((k, i) => {
    if (k.kind !== 'weight') {
      if (firstWeight >= 0 && i > firstWeight) problems.push({ index: i, message: `${k.kind === 'mirror' ? 'a mirror' : 'an A/B (match)'} step must come before the first weight step (steps[${firstWeight}]): it judges the candidate before any of the route's traffic shifts` });
      return;
    }
    if (blueGreen && k.weight !== 100) problems.push({ index: i, message: 'a blue-green rollout switches all traffic at once: its only weight step is 100 (put mirror or A/B steps before it to judge the candidate first)' });
    else if (last !== undefined && k.weight <= last) problems.push({ index: i, message: `must be greater than the step before (${last}): steps increase strictly` });
    last = k.weight;
  });
  const end = kinds.at(-1);
  if (!end || end.kind !== 'weight' || end.weight !== 100) problems.push({ index: kinds.length - 1, message: 'the last step must be 100: a rollout ends with all traffic on the candidate' });
  return problems;
}

/** The name of the route an A/B step inserts before the rollout's route (and every other step removes). */
export const abRouteName = (rolloutId: number) => `xdsflare-rollout-${rolloutId}-ab`;

/** The spec without the rollout's A/B route: the VirtualService as the rollout's `route` reference (`#<index>` too) knows it. */
export function withoutAbRoute(spec: VirtualServiceSpec, rolloutId: number): VirtualServiceSpec {
  const name = abRouteName(rolloutId);
  if (!(spec.http ?? []).some((r) => r.name === name)) return spec;
  return { ...spec, http: spec.http!.filter((r) => r.name !== name) };
}

const regexQuote = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** An A/B entry as Istio header matches: the cookie as a regex over the cookie header (Istio's match has no cookie field). */
export function headerMatchesOf(m: AbMatch): NonNullable<HTTPMatchRequest['headers']> {
  const headers: NonNullable<HTTPMatchRequest['headers']> = { ...(m.headers ?? {}) };
  if (m.cookie) headers.cookie = { regex: `^(.*?;\\s*)?${regexQuote(m.cookie.name)}=${regexQuote(m.cookie.value)}(;.*)?$` };
  return headers;
}

/** Header names an A/B entry sets that the route's own matches already test (the two would have to merge into one matcher). */
export function clashingHeaders(route: HTTPRoute, match: AbMatch[]): string[] {
  const own = new Set((route.match ?? []).flatMap((m) => Object.keys(m.headers ?? {})));
  return [...new Set(match.flatMap((m) => Object.keys(headerMatchesOf(m)).filter((h) => own.has(h))))];
}

/** The A/B route: the rollout's route (its matches, timeouts, retries kept) narrowed to the A/B entries, all on the candidate. */
function abRoute(route: HTTPRoute, rolloutId: number, candidate: Destination, match: AbMatch[]): HTTPRoute {
  const own: HTTPMatchRequest[] = route.match?.length ? route.match : [{}];
  // Istio ORs the entries of `match` and ANDs the conditions inside one: every own match × every A/B entry.
  const matches = own.flatMap((m) => match.map((ab) => ({ ...m, headers: { ...(m.headers ?? {}), ...headerMatchesOf(ab) } })));
  const { mirror: _m, mirrorPercentage: _p, ...rest } = route;
  const entry = (route.route ?? []).find((d) => sameDestination(d.destination, candidate)) ?? { destination: candidate };
  return { ...rest, name: abRouteName(rolloutId), match: matches, route: [{ ...entry, weight: 100 }] };
}

export interface StepTarget {
  id: number;
  stable: Destination;
  candidate: Destination;
}

/**
 * The VirtualService spec while step `kind` is in effect, against the spec as it is now: route
 * `index` (of the spec without the A/B route) at the step's weight, mirroring to the candidate in a
 * mirror step, and the A/B route just before it in a match step. Every other step takes the mirror
 * and the A/B route away again, so a rollback (weight 0) leaves the route as it was before.
 */
export function withStep(spec: VirtualServiceSpec, index: number, r: StepTarget, kind: StepKind): VirtualServiceSpec {
  const base = withCandidateWeight(withoutAbRoute(spec, r.id), index, r.stable, r.candidate, routedWeight(kind));
  const http = [...(base.http ?? [])];
  // A mirror to the candidate is the mirror step's (create refuses mirror steps on a route that mirrors already).
  const own = http[index]!;
  const ours = own.mirror !== undefined && sameDestination(own.mirror, r.candidate);
  const { mirror: _m, mirrorPercentage: _p, ...route } = own;
  http[index] = kind.kind === 'mirror' ? { ...route, mirror: r.candidate, mirrorPercentage: { value: kind.percentage } } : ours ? route : own;
  if (kind.kind === 'match') http.splice(index, 0, abRoute(http[index]!, r.id, r.candidate, kind.match));
  return { ...base, http };
}

/** How messages and the CLI name a step's effect. */
export function describeStep(k: StepKind): string {
  if (k.kind === 'weight') return `${k.weight}% to the candidate`;
  if (k.kind === 'mirror') return `${k.percentage}% mirrored to the candidate`;
  const one = (m: AbMatch) => [...Object.entries(m.headers ?? {}).map(([h, v]) => `${h} ${Object.entries(v).map(([op, x]) => `${op} ${JSON.stringify(x)}`).join('')}`), ...(m.cookie ? [`cookie ${m.cookie.name}=${m.cookie.value}`] : [])].join(' and ');
  return `A/B: requests with ${k.match.map(one).join(', or ')} to the candidate`;
}

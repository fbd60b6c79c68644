import { and, eq, sql } from 'drizzle-orm';
import { validateIntent, type FieldError, type HTTPRoute, type IntentObject, type VirtualServiceSpec } from '../../xds';
import { objects } from '../domain/db/schema';
import type { Database } from '../domain/db/store';
import type { RolloutRequest } from './schema';
import { clashingHeaders, stepKindOf, stepOrderProblems, withStep, type StepKind } from './step-kinds';
import { DEFAULT_STEPS } from './schema';

/** The request's steps as stored: weights (0 for mirror and A/B steps) and, when any step is not a weight or the rollout is blue-green, their kinds. */
export function plannedSteps(req: RolloutRequest): { steps: number[]; stepKinds?: StepKind[]; errors: FieldError[] } {
  const kinds: StepKind[] = (req.steps ?? (req.blueGreen ? [100] : DEFAULT_STEPS)).map(stepKindOf);
  const errors = stepOrderProblems(kinds, req.blueGreen !== undefined).map((p) => ({ path: `steps[${p.index}]`, message: p.message }));
  const steps = kinds.map((k) => (k.kind === 'weight' ? k.weight : 0));
  const plain = kinds.every((k) => k.kind === 'weight') && !req.blueGreen;
  return { steps, ...(plain ? {} : { stepKinds: kinds }), errors };
}

/**
 * Whether the route can take the request's mirror and A/B steps (409s: the request does not fit the
 * config as it is): a route that mirrors already, headers its own matches test too, and any step
 * whose VirtualService the validator would refuse.
 */
export function checkStepsAgainstRoute(vs: IntentObject, index: number, req: RolloutRequest, kinds: StepKind[]): FieldError[] {
  const spec = vs.spec as VirtualServiceSpec;
  const route: HTTPRoute = spec.http![index]!;
  const errors: FieldError[] = [];
  kinds.forEach((k, i) => {
    if (k.kind === 'weight') return;
    if (k.kind === 'mirror' && (route.mirror || route.mirrors)) {
      return void errors.push({ path: `steps[${i}].mirror`, message: 'the route mirrors already (mirror or mirrors); a mirror step sets its own mirror to the candidate' });
    }
    if (k.kind === 'match') {
      const clash = clashingHeaders(route, k.match);
      if (clash.length) return void errors.push({ path: `steps[${i}].match`, message: `the route's own match already tests ${clash.join(', ')}; an A/B step adds its conditions to each of the route's matches, so it cannot test the same header` });
    }
    const next = withStep(spec, index, { id: 0, stable: req.stable, candidate: req.candidate }, k);
    const result = validateIntent({ ...vs, spec: next });
    if (!result.ok) errors.push(...result.errors.slice(0, 3).map((e) => ({ path: `steps[${i}]`, message: `the VirtualService this step makes is invalid: ${e.path}: ${e.message}` })));
  });
  return errors;
}

/**
 * Warnings for mirror steps to a host with a GRPC port: proxyless gRPC clients do not mirror
 * (no gRFC specifies request mirroring, and grpc-js-xds never reads RouteAction.request_mirror_policies),
 * so only Envoy sidecars and gateways copy their calls to the candidate.
 */
export async function mirrorWarnings(db: Database, req: RolloutRequest, stepKinds: StepKind[] | undefined): Promise<FieldError[]> {
  const mirrors = (stepKinds ?? []).flatMap((k, i) => (k.kind === 'mirror' ? [i] : []));
  if (!mirrors.length) return [];
  const rows = await db
    .select({ spec: objects.spec })
    .from(objects)
    .where(and(eq(objects.kind, 'ServiceEntry'), sql`exists (select 1 from json_each(${objects.spec}, '$.hosts') where value = ${req.stable.host})`));
  const grpc = rows.some((row) => ((row.spec.ports ?? []) as { protocol?: string }[]).some((p) => p.protocol?.toUpperCase() === 'GRPC'));
  if (!grpc) return [];
  return mirrors.map((i) => ({
    path: `steps[${i}].mirror`,
    message: `${req.stable.host} has a GRPC port: proxyless gRPC clients do not mirror (no gRFC specifies request mirroring; grpc-js-xds reads no request_mirror_policies), so only calls through Envoy sidecars or gateways are copied to the candidate; with proxyless clients, use an A/B (match) step instead`,
  }));
}

import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { parseObjectBody, validateIntent, type FieldError, type IntentKind, type VirtualServiceSpec } from '../../xds';
import { errorMap, toFieldErrors } from '../../xds/intent/errors';
import { keyOf, type ObjectKey } from '../domain/config/object-key';
import type { Change } from '../domain/config/commit';
import type { AuthVariables } from '../http/require-scope';
import { objects } from '../domain/db/schema';
import { openDatabase, rowToIntent } from '../domain/db/store';
import type { Env } from '../env';
import { settings } from '../settings';
import { readTextBody, requestSource } from '../http/body';
import { badRequest, conflict } from '../http/problem';
import { commitStep, type Actor } from './commit-step';
import { rolloutStub } from './driver-stub';
import { emitStep } from './events';
import { checkRouteDestinations, describeDestination, findRoute, sameDestination } from './route-weights';
import { RolloutRequestSchema, type Rollout, type RolloutBody, type RolloutRequest, type StepRecord } from './schema';
import { activeRolloutOn, claimRollout, deleteRollout, saveRollout } from './store';
import { checkAnalysis, unknownGateWebhooks } from './analysis/check';
import { storedProvider } from './analysis/credentials';
import { gatesBefore } from './analysis/gates';
import { checkStepsAgainstRoute, mirrorWarnings, plannedSteps } from './step-checks';
import { kindsOf, stepUnionIssues } from './step-kinds';

type Ctx = Context<{ Bindings: Env; Variables: AuthVariables }>;

async function parseRequest(c: Ctx): Promise<RolloutRequest> {
  const { text, mediaType } = await readTextBody(c);
  const body = parseObjectBody(text, mediaType);
  if (!body.ok) throw badRequest('the rollout is not valid JSON or YAML; nothing was stored', body.errors);
  const parsed = RolloutRequestSchema.safeParse(body.object, { error: errorMap, reportInput: true });
  if (!parsed.success) throw badRequest('the rollout is invalid; nothing was stored', toFieldErrors(stepUnionIssues(parsed.error.issues)));
  return parsed.data;
}

/** Each manifest object validated as /apply does, paths under `manifest[i]`; the rollout's own VirtualService is not one of them. */
function checkManifest(req: RolloutRequest) {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const changes: Change[] = [];
  const keys: ObjectKey[] = [];
  const seen = new Map<string, number>();
  (req.manifest ?? []).forEach((doc, i) => {
    const result = validateIntent(doc, { path: `manifest[${i}]` });
    if (!result.ok) return void errors.push(...result.errors);
    warnings.push(...result.warnings);
    const key: ObjectKey = { kind: result.object.kind as IntentKind, namespace: result.object.metadata.namespace, name: result.object.metadata.name };
    const id = keyOf(key);
    if (seen.has(id)) errors.push({ path: `manifest[${i}].metadata.name`, message: `${id} appears twice in the manifest (also manifest[${seen.get(id)}])` });
    else if (key.kind === 'VirtualService' && key.namespace === req.virtualService.namespace && key.name === req.virtualService.name) {
      errors.push({ path: `manifest[${i}]`, message: 'this is the VirtualService the rollout sets the weights of; apply other changes to it before starting the rollout' });
    }
    seen.set(id, i);
    keys.push(key);
    changes.push({ op: 'put', object: result.object });
  });
  return { errors, warnings, changes, keys };
}

/**
 * POST /rollouts: validates the request against the current config, claims the VirtualService (one
 * active rollout each), commits step 0 with the manifest as one revision through the normal commit
 * path, and hands the rollout to its driver. Refused (nothing stored) when any of it fails.
 */
export async function createRollout(c: Ctx): Promise<{ rollout: Rollout; warnings: FieldError[] }> {
  const req = await parseRequest(c);
  const manifest = checkManifest(req);
  if (sameDestination(req.stable, req.candidate)) manifest.errors.push({ path: 'candidate', message: `must differ from the stable destination (${describeDestination(req.stable)})` });
  manifest.errors.push(...checkAnalysis(req));
  const plan = plannedSteps(req);
  manifest.errors.push(...plan.errors);
  if (manifest.errors.length) throw badRequest('the rollout is invalid; nothing was stored', manifest.errors);

  const db = openDatabase(c.env.DB);
  const { namespace, name } = req.virtualService;
  const vs = await db.select().from(objects).where(and(eq(objects.kind, 'VirtualService'), eq(objects.namespace, namespace), eq(objects.name, name))).get();
  if (!vs) throw conflict('the rollout does not match the current configuration; nothing was stored', [{ path: 'virtualService', message: `VirtualService ${namespace}/${name} does not exist` }]);
  // Before the route checks: while a rollout drives the route, that is the reason it does not match.
  const active = await activeRolloutOn(db, namespace, name);
  const busy = (id: number | undefined) => conflict(`VirtualService ${namespace}/${name} already has an active rollout${id ? ` (${id})` : ''}; abort it or wait for it to finish`, [{ path: 'virtualService', message: 'has an active rollout' }]);
  if (active) throw busy(active.id);
  const spec = rowToIntent(vs).spec as VirtualServiceSpec;
  const found = findRoute(spec, req.route);
  if (!found.ok) throw conflict('the rollout does not match the current configuration; nothing was stored', [{ path: 'route', message: found.message }]);
  const mismatch = checkRouteDestinations(spec.http![found.index]!, req.stable, req.candidate);
  if (mismatch) throw conflict('the route does not route to the stable destination (alone, or with the candidate); nothing was stored', [mismatch]);
  const unfit = plan.stepKinds ? checkStepsAgainstRoute(rowToIntent(vs), found.index, req, plan.stepKinds) : [];
  if (unfit.length) throw conflict("the route cannot take the rollout's mirror or A/B steps; nothing was stored", unfit);
  manifest.warnings.push(...(await mirrorWarnings(db, req, plan.stepKinds)));
  const noWebhook = await unknownGateWebhooks(db, req);
  if (noWebhook.length) throw conflict('a gate names a webhook that is not registered; nothing was stored', noWebhook);

  const actor: Actor = { author: c.get('principal').name, source: requestSource(c) };
  const now = Date.now();
  const body: RolloutBody = {
    name: req.name ?? null,
    virtualService: { namespace, name },
    route: found.ref,
    stable: req.stable,
    candidate: req.candidate,
    steps: plan.steps,
    ...(plan.stepKinds ? { stepKinds: plan.stepKinds } : {}),
    ...(req.blueGreen ? { blueGreen: req.blueGreen } : {}),
    pauseSeconds: req.pauseSeconds,
    timeoutSeconds: req.timeoutSeconds,
    manifest: manifest.keys,
    currentStep: 0,
    weight: 0,
    baseRevision: null,
    history: [],
    abort: null,
    ...(req.analysis ? { analysis: { provider: { ...(req.analysis.provider.from === 'bridge' ? { from: 'bridge' as const } : { url: req.analysis.provider.url }), auth: 'none', timeoutSeconds: req.analysis.provider.timeoutSeconds }, metrics: req.analysis.metrics, background: req.analysis.background, measurements: [], resumedAt: null } } : {}),
    ...(req.gates?.length ? { gates: req.gates, gateCalls: [], hold: null } : {}),
    ...actor,
    finishedAt: null,
  };
  const createdAt = new Date(now).toISOString();
  const id = await claimRollout(c.env.DB, body, createdAt);
  if (id === undefined) throw busy(undefined);
  const claimed: Rollout = { id, state: 'progressing', ...body, createdAt, updatedAt: createdAt };
  if (req.analysis) {
    try {
      // Encrypted once the id is known: the cipher is bound to this rollout.
      claimed.analysis!.provider = await storedProvider(c.env, id, req.analysis.provider);
    } catch (err) {
      await deleteRollout(db, id);
      throw err;
    }
  }
  // Pre-rollout gates hold step 0 back: the driver asks them, then commits it with the manifest.
  if (gatesBefore(claimed, 0).length) {
    const held: Rollout = { ...claimed, pendingManifest: manifest.changes.flatMap((ch) => (ch.op === 'put' ? [ch.object as unknown as Record<string, unknown>] : [])), hold: { by: 'gate', message: 'waiting for the pre-rollout gate', at: createdAt } };
    const rollout = await saveRollout(db, held, now);
    await rolloutStub(c.env, id)
      .start(id, now)
      .catch((err) => console.log(JSON.stringify({ level: 'error', msg: 'rollout driver not started; the sweep will', rollout: id, error: String((err as Error)?.message ?? err) })));
    return { rollout, warnings: manifest.warnings };
  }

  let step;
  try {
    step = await commitStep(c.env, claimed, 0, kindsOf(claimed)[0]!, actor, { extra: manifest.changes, throwRefusals: true });
  } catch (err) {
    await deleteRollout(db, id);
    throw err;
  }
  if (!step.ok) {
    await deleteRollout(db, id);
    throw conflict(`${step.message}; nothing was stored`, [{ path: 'route', message: step.message }]);
  }
  const entry: StepRecord = { step: 0, weight: plan.steps[0]!, revision: step.revision, startedAt: createdAt, convergedAt: null, deadline: new Date(now + req.timeoutSeconds * 1000).toISOString(), outcome: 'pending' };
  const started: Rollout = { ...claimed, baseRevision: step.committed ? step.revision - 1 : step.revision, weight: entry.weight, history: [entry] };
  const nextAt = now + settings(c.env).rolloutTickMs;
  const rollout = await saveRollout(db, started, nextAt);
  try {
    await rolloutStub(c.env, id).start(id, nextAt);
  } catch (err) {
    // Committed and recorded: the once-a-minute sweep arms the driver (nextCheckAt has passed).
    console.log(JSON.stringify({ level: 'error', msg: 'rollout driver not started; the sweep will', rollout: id, error: String((err as Error)?.message ?? err) }));
  }
  await emitStep(c.env, rollout, entry, 'started');
  return { rollout, warnings: manifest.warnings };
}

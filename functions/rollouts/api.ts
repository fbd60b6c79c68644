import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody, requestSource } from '../http/body';
import { holdWhile, waitParam } from '../http/hold';
import { parseJsonBody } from '../http/json-body';
import { badRequest, notFound, ProblemError } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { createRollout } from './create';
import { rolloutStub } from './driver-stub';
import { AbortRequestSchema, ROLLOUT_STATES, type RolloutAction } from './schema';
import { withRouteNow } from './route-now';
import { BridgeResultsSchema } from '../../xds/bridge-sync/analysis-queries';
import { pendingBridgeQueries } from './analysis/bridge-queries';
import { isFinished, listRollouts, loadRollout, shown } from './store';

function idParam(raw: string): number {
  const n = Number(raw);
  if (!/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(n)) throw badRequest(`"${raw}" is not a rollout id`, [{ path: 'id', message: 'expected a positive integer' }]);
  return n;
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

app.post('/rollouts', requireScope('config:write'), limitBody(), async (c) => {
  const { rollout, warnings } = await createRollout(c);
  setWarningHeaders(c, warnings);
  return c.json(shown(rollout), 201, { location: `/api/v1/rollouts/${rollout.id}` });
});

// A bridge running the analysis of `from: bridge` providers (xds/bridge-sync/analysis-queries.ts), with the token it reports proxy status with.
app.get('/rollouts/bridge-queries', requireScope('status:write'), async (c) => c.json({ queries: await pendingBridgeQueries(openDatabase(c.env.DB)) }));

app.post('/rollouts/bridge-results', requireScope('status:write'), limitBody(256 * 1024), async (c) => {
  const { bridge, results } = await parseJsonBody(c, BridgeResultsSchema, 'bridge analysis results');
  const byRollout = new Map<number, typeof results>();
  for (const x of results) byRollout.set(x.rollout, [...(byRollout.get(x.rollout) ?? []), x]);
  const known = await Promise.all([...byRollout.keys()].map(async (id) => ((await loadRollout(openDatabase(c.env.DB), id)) ? id : undefined)));
  await Promise.all(known.flatMap((id) => (id === undefined ? [] : [rolloutStub(c.env, id).bridgeResults(id, byRollout.get(id)!, bridge)])));
  return c.body(null, 204);
});

app.get('/rollouts', requireScope('config:read'), async (c) => {
  const state = c.req.query('state');
  if (state !== undefined && !(ROLLOUT_STATES as readonly string[]).includes(state)) {
    throw badRequest(`unknown state "${state}"`, [{ path: 'state', message: `expected one of ${ROLLOUT_STATES.join(', ')}` }]);
  }
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 500);
  return c.json({ items: (await listRollouts(openDatabase(c.env.DB), state as (typeof ROLLOUT_STATES)[number] | undefined, limit)).map(shown) });
});

/** `?wait=<s>` holds the request until the rollout has succeeded or aborted, so CI needs no loop of its own. */
app.get('/rollouts/:id', requireScope('config:read'), async (c) => {
  const id = idParam(c.req.param('id'));
  const waitMs = waitParam(c.req.query('wait'));
  const db = openDatabase(c.env.DB);
  const found = await loadRollout(db, id);
  if (!found) throw notFound(`rollout ${id} does not exist`);
  const held = await holdWhile(waitMs, found, (r) => !isFinished(r), async () => (await loadRollout(db, id))!);
  return c.json(await withRouteNow(db, shown(held)));
});

app.post('/rollouts/:id/:action{pause|resume|promote|abort}', requireScope('config:write'), limitBody(64 * 1024), async (c) => {
  const id = idParam(c.req.param('id'));
  const action = c.req.param('action') as RolloutAction;
  // The abort body is optional: an empty one (content-length: 0) is none, whatever its content type.
  const length = c.req.header('content-length');
  const hasBody = length !== undefined ? Number(length) > 0 : c.req.header('content-type') !== undefined;
  const reason = action === 'abort' && hasBody ? (await parseJsonBody(c, AbortRequestSchema, 'abort request')).reason : undefined;
  // Unknown ids stop here, so no Durable Object is made for them.
  if (!(await loadRollout(openDatabase(c.env.DB), id))) throw notFound(`rollout ${id} does not exist`);
  const result = await rolloutStub(c.env, id).act(id, action, { author: c.get('principal').name, source: requestSource(c) }, reason);
  if (!result.ok) throw new ProblemError({ status: result.status, title: result.status === 404 ? 'Not Found' : 'Conflict', detail: result.detail });
  return c.json(shown(result.rollout));
});

export default app;

import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../auth/require-scope';
import { openDatabase } from '../db/store';
import type { Env } from '../env';
import { limitBody, requestSource } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { badRequest, notFound, ProblemError } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { createRollout } from './create';
import { rolloutStub } from './driver';
import { AbortRequestSchema, ROLLOUT_STATES, type RolloutAction } from './schema';
import { isFinished, listRollouts, loadRollout } from './store';

const MAX_WAIT_SECONDS = 300;
/** How often a held GET re-reads the rollout: one small query each time. */
const WAIT_POLL_MS = 500;

function idParam(raw: string): number {
  const n = Number(raw);
  if (!/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(n)) throw badRequest(`"${raw}" is not a rollout id`, [{ path: 'id', message: 'expected a positive integer' }]);
  return n;
}

function waitParam(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0 || s > MAX_WAIT_SECONDS) throw badRequest(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, [{ path: 'wait', message: `expected seconds from 0 to ${MAX_WAIT_SECONDS}, got ${JSON.stringify(raw)}` }]);
  return s;
}

const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

app.post('/rollouts', requireScope('config:write'), limitBody(), async (c) => {
  const { rollout, warnings } = await createRollout(c);
  setWarningHeaders(c, warnings);
  return c.json(rollout, 201, { location: `/api/v1/rollouts/${rollout.id}` });
});

app.get('/rollouts', requireScope('config:read'), async (c) => {
  const state = c.req.query('state');
  if (state !== undefined && !(ROLLOUT_STATES as readonly string[]).includes(state)) {
    throw badRequest(`unknown state "${state}"`, [{ path: 'state', message: `expected one of ${ROLLOUT_STATES.join(', ')}` }]);
  }
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 500);
  return c.json({ items: await listRollouts(openDatabase(c.env.DB), state as (typeof ROLLOUT_STATES)[number] | undefined, limit) });
});

/** `?wait=<s>` holds the request until the rollout has succeeded or aborted, so CI needs no loop of its own. */
app.get('/rollouts/:id', requireScope('config:read'), async (c) => {
  const id = idParam(c.req.param('id'));
  const deadline = Date.now() + waitParam(c.req.query('wait')) * 1000;
  const db = openDatabase(c.env.DB);
  let rollout = await loadRollout(db, id);
  if (!rollout) throw notFound(`rollout ${id} does not exist`);
  while (!isFinished(rollout) && Date.now() < deadline) {
    await scheduler.wait(Math.min(WAIT_POLL_MS, deadline - Date.now()));
    rollout = (await loadRollout(db, id))!;
  }
  return c.json(rollout);
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
  return c.json(result.rollout);
});

export default app;

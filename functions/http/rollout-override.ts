import type { Context } from 'hono';
import type { RolloutOverride } from '../domain/config/route-owner';
import { badRequest } from './problem';

/**
 * `?rollout=abort` or `?force=true` on a config write: how a write that moves the route of an active
 * rollout is to be committed (domain/config/route-owner.ts); without either it is a 409. Anything else
 * is a 400 naming the parameter.
 */
export function rolloutOverride(c: Context): { rolloutOverride?: RolloutOverride } {
  const rollout = c.req.query('rollout');
  const force = c.req.query('force');
  if (rollout !== undefined && rollout !== 'abort') throw badRequest(`query parameter rollout must be "abort"; nothing was stored`, [{ path: 'rollout', message: `"${rollout.slice(0, 64)}" is not "abort"` }]);
  if (force !== undefined && force !== 'true' && force !== 'false') throw badRequest(`query parameter force must be "true" or "false"; nothing was stored`, [{ path: 'force', message: `"${force.slice(0, 64)}" is not "true" or "false"` }]);
  if (rollout === 'abort' && force === 'true') throw badRequest('rollout=abort and force=true contradict each other (abort the rollout, or leave it running); nothing was stored', [{ path: 'force', message: 'not allowed with rollout=abort' }]);
  if (rollout === 'abort') return { rolloutOverride: 'abort' };
  return force === 'true' ? { rolloutOverride: 'force' } : {};
}

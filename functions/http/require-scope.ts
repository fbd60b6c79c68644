import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env';
import { forbidden, unauthorized } from './problem';
import { authenticate, bearerToken, hasScope, type Principal, type Scope } from '../domain/auth/tokens';

export type AuthVariables = { principal: Principal };

/** Requires a bearer token with `scope` (admin implies every scope); sets `principal`. */
export function requireScope(scope: Scope): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function requireScopeMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
    const principal = await authenticate(c.env, token);
    if (!principal) throw unauthorized('invalid token');
    if (!hasScope(principal, scope)) throw forbidden(`token "${principal.name}" lacks scope ${scope}`);
    c.set('principal', principal);
    await next();
  };
}

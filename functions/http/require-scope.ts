import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env';
import { forbidden, unauthorized } from './problem';
import { authenticate, bearerToken, hasScope, type Principal, type Scope } from '../domain/auth/tokens';

export type AuthVariables = { principal: Principal };

/**
 * Every /api/v1 route needs a token, so who is calling is decided before anything else looks at the
 * request (its Idempotency-Key, its body): an anonymous or revoked caller gets its 401 with the body unread.
 */
export function authenticated(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function authenticatedMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
    const principal = await authenticate(c.env, token);
    if (!principal) throw unauthorized('invalid token');
    c.set('principal', principal);
    await next();
  };
}

/** Requires a bearer token with `scope` (admin implies every scope); sets `principal` unless `authenticated` already did. */
export function requireScope(scope: Scope): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  const authenticate = authenticated();
  return async function requireScopeMiddleware(c, next) {
    const check = async () => {
      const principal = c.get('principal');
      if (!hasScope(principal, scope)) throw forbidden(`token "${principal.name}" lacks scope ${scope}`);
      await next();
    };
    return c.get('principal') ? check() : authenticate(c, check);
  };
}

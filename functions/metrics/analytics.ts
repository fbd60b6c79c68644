import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env';

/** What a request was, for Analytics Engine's index: a poll (REST xDS), a write (config API), or another request. */
export type RequestKind = 'poll' | 'write' | 'request';

/** The API's first path segments, named as they are; anything else is `other`, so the blobs stay few. */
const API_GROUPS = new Set(['apply', 'revisions', 'rollouts', 'proxies', 'tokens', 'webhooks', 'secrets', 'bootstrap', 'config_dump', 'export', 'identity-policies']);

/** The route group of a path: a small, fixed set (never a node id or an object name). */
export function routeGroup(path: string): string {
  const discovery = /^\/v3\/discovery:([a-z_]+)$/.exec(path);
  if (discovery) return `discovery:${discovery[1]}`;
  const api = /^\/api\/v1\/([^/]+)/.exec(path);
  if (api) return api[1] === 'namespaces' || /^[a-z]+(entries|rules|services|ways|filters)$/.test(api[1]!) ? 'objects' : API_GROUPS.has(api[1]!) ? api[1]! : 'other';
  if (['/', '/healthz', '/openapi.json', '/metrics'].includes(path)) return path;
  return path.startsWith('/console/') ? '/console' : 'other';
}

export function requestKind(method: string, path: string): RequestKind {
  if (path.startsWith('/v3/discovery:')) return 'poll';
  if (path.startsWith('/api/v1/') && method !== 'GET' && method !== 'HEAD') return 'write';
  return 'request';
}

/**
 * One Workers Analytics Engine data point per request (binding METRICS, wrangler.toml), where
 * Cloudflare users look for a Worker's traffic: index = kind (poll, write, request); blobs = kind,
 * route group, method, status class; doubles = 1, duration in ms, status. Cardinality stays small:
 * route groups are a fixed set. Without the binding (a deployment that leaves it out) nothing is
 * written; a failing write never fails the request.
 */
export const analyticsEngine: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const started = Date.now();
  await next();
  const dataset = c.env.METRICS;
  if (!dataset) return;
  const path = c.req.path;
  const kind = requestKind(c.req.method, path);
  const status = c.res.status;
  try {
    dataset.writeDataPoint({ indexes: [kind], blobs: [kind, routeGroup(path), c.req.method, `${Math.floor(status / 100)}xx`], doubles: [1, Date.now() - started, status] });
  } catch (err) {
    console.log(JSON.stringify({ level: 'warn', msg: 'analytics engine data point not written', error: String((err as Error)?.message ?? err) }));
  }
};

import { Hono, type Context } from 'hono';
import { SECRET_TYPE_URL, selectView } from '../../xds';
import { authenticate, bearerToken, hasScope, type Principal } from '../domain/auth/tokens';
import { requireIdentityAllows } from './identity-check';
import type { Env } from '../env';
import { MAX_BODY_BYTES } from '../http/body';
import { forbidden, ProblemError, unauthorized } from '../http/problem';
import { parseDiscoveryRequest, type RestDiscoveryRequest } from './discovery-request';
import { currentConfig, isServingStale, sdsNamesOfView, secretStateOf } from '../domain/config/config-cache';
import { secretsForView } from '../domain/secrets/view-secrets';

const PATH = '/v3/discovery:secrets';

/** SDS over REST (xds-protocol.md §1.7): named, one resource per requested name. Mounted before the other discovery types. */
const sds = new Hono<{ Bindings: Env }>();

/** Never anonymous, whatever ALLOW_ANONYMOUS_XDS says: a secret needs a token with secrets:read. */
async function authorize(c: Context<{ Bindings: Env }>, req: RestDiscoveryRequest): Promise<Principal | undefined> {
  const token = req.token ?? bearerToken(c.req.header('authorization'));
  if (!token) throw unauthorized('SDS is never served anonymously: send a token with scope secrets:read in node.metadata.xds_token or an Authorization: Bearer header');
  const principal = await authenticate(c.env, token);
  if (!principal) throw unauthorized('invalid xDS token');
  if (!hasScope(principal, 'secrets:read')) throw forbidden(`token "${principal.name}" lacks scope secrets:read`);
  return principal;
}

const isSdsPath = (path: string) => {
  try {
    return decodeURIComponent(path) === PATH;
  } catch {
    return false;
  }
};

sds.use('/v3/*', async (c, next) => {
  if (!isSdsPath(c.req.path)) return next();
  if (c.req.method !== 'POST') throw new ProblemError({ status: 405, title: 'Method Not Allowed', detail: 'xDS discovery requests are POSTs', headers: { allow: 'POST' } });
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw new ProblemError({ status: 413, title: 'Content Too Large', detail: `request body exceeds ${MAX_BODY_BYTES} bytes` });
  const req = parseDiscoveryRequest(text);
  const principal = await authorize(c, req);
  const config = await currentConfig(c.env);
  await requireIdentityAllows(c.env, config.selector, principal, req.node);
  const view = selectView(config.selector, req.node);
  // SDS names do not depend on how config sources point back, so every poller shares the ADS view's.
  const served = await secretsForView(c.env, await secretStateOf(c.env, config), view, await sdsNamesOfView(c.env, config, view), req.resourceNames);
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-xdsflare-revision': String(config.revision) };
  if (isServingStale()) headers['x-xdsflare-stale'] = 'config store unavailable; serving the last snapshot';
  if (req.versionInfo !== '' && req.versionInfo === served.version) return c.body(null, 304, headers);
  return c.body(JSON.stringify({ version_info: served.version, type_url: SECRET_TYPE_URL, resources: served.resources }), 200, { ...headers, 'content-type': 'application/json' });
});

export default sds;

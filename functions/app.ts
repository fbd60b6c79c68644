import { Hono } from 'hono';
import type { AuthVariables } from './http/require-scope';
import type { Env } from './env';
import { idempotency } from './http/idempotency';
import apply from './api/apply';
import bootstrap from './bootstrap/api';
import configDump from './api/config-dump';
import objects from './api/objects';
import proxies from './api/proxies';
import proxyStatus from './api/proxy-status';
import revisionStatus from './history/status-api';
import revisions from './history/api';
import rollouts from './rollouts/api';
import secrets from './secrets/api';
import snapshots from './discovery/bridge-snapshots';
import tokens from './api/tokens';
import webhooks from './events/api';

/** The config API, mounted at /api/v1. */
const api = new Hono<{ Bindings: Env; Variables: AuthVariables }>();
// Every config write honours Idempotency-Key. Not tokens nor webhooks: a replay would have to store the
// plaintext (the token, a generated signing secret); a webhook PUT or DELETE is idempotent as it is.
// '/rollouts/*' also matches '/rollouts': listing both ran the middleware twice, and the second saw its own claim (409).
for (const path of ['/apply', '/namespaces/*', '/revisions/*', '/rollouts/*']) api.use(path, idempotency());
// In order: secrets before objects, whose /namespaces/:namespace/:plural routes would otherwise take
// secrets as an unknown plural.
for (const routes of [apply, revisions, revisionStatus, rollouts, tokens, webhooks, proxies, proxyStatus, snapshots, configDump, bootstrap, secrets, objects]) api.route('/', routes);

export default api;

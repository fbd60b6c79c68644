import { Hono } from 'hono';
import type { AuthVariables } from '../auth/require-scope';
import type { Env } from '../env';
import { idempotency } from '../http/idempotency';
import apply from './apply';
import bootstrap from './bootstrap';
import configDump from './config-dump';
import objects from './objects';
import proxies from './proxies';
import proxyStatus from './proxy-status';
import revisionStatus from './revision-status';
import revisions from './revisions';
import rollouts from '../rollouts/api';
import secrets from '../secrets/api';
import snapshots from './snapshots';
import tokens from './tokens';
import webhooks from '../events/api';

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

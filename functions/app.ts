import { Hono, type Hono as HonoApp } from 'hono';
import { requestId } from 'hono/request-id';
import packageJson from '../package.json';
import configDump from './api/config-dump';
import consoleFiles from './console/serve';
import { consoleRouteDocs } from './console/openapi';
import apply from './api/apply';
import { INTENT_COMPONENT_NAMES } from './openapi/object-schemas';
import { objectRouteDocs } from './api/objects-openapi';
import objects from './api/objects';
import identityPolicies from './api/identity-policies';
import { identityRouteDocs } from './api/identity-policies-openapi';
import proxies from './api/proxies';
import proxyStatus from './api/proxy-status';
import tokens from './api/tokens';
import { tokenAndProxyRouteDocs } from './api/tokens-proxies-openapi';
import bootstrap from './bootstrap/api';
import { bootstrapRouteDocs } from './bootstrap/openapi';
import bridgeSnapshots from './discovery/bridge-snapshots';
import { discoveryRouteDocs } from './discovery/openapi';
import discovery from './discovery/rest-discovery';
import sds from './discovery/sds';
import type { Env } from './env';
import webhooks from './events/api';
import { webhookRouteDocs } from './events/openapi';
import revisions from './history/api';
import { revisionRouteDocs } from './history/openapi';
import revisionStatus from './history/status-api';
import { idempotency } from './http/idempotency';
import { onError } from './http/on-error';
import { problemResponse } from './http/problem';
import { authenticated, type AuthVariables } from './http/require-scope';
import { limitBody, MAX_BODY_BYTES, MAX_MANIFEST_BYTES } from './http/body';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi/document';
import type { RouteDoc } from './openapi/route-doc';
import { workerRouteDocs } from './openapi/worker-routes';
import metrics from './metrics/api';
import { metricsRouteDocs } from './metrics/openapi';
import { analyticsEngine } from './metrics/analytics';
import rollouts from './rollouts/api';
import { rolloutRouteDocs } from './rollouts/openapi';
import secrets from './secrets/api';
import { secretRouteDocs } from './secrets/openapi';

/**
 * The config API's sub-apps, mounted at /api/v1 in this order: secrets before objects, whose
 * /namespaces/:namespace/:plural routes would otherwise take secrets as an unknown plural.
 */
const API_ROUTES: HonoApp<{ Bindings: Env; Variables: AuthVariables }>[] = [apply, revisions, revisionStatus, rollouts, tokens, identityPolicies, webhooks, proxies, proxyStatus, bridgeSnapshots, configDump, bootstrap, secrets, objects];

/**
 * Every config write honours Idempotency-Key. Not tokens nor webhooks: a replay would have to store the
 * plaintext (the token, a generated signing secret); a webhook PUT or DELETE is idempotent as it is.
 * '/rollouts/*' also matches '/rollouts': listing both ran the middleware twice, and the second saw its own claim (409).
 */
const IDEMPOTENT_WRITES: [path: string, maxBodyBytes: number][] = [
  ['/apply', MAX_MANIFEST_BYTES],
  ['/namespaces/*', MAX_BODY_BYTES],
  ['/revisions/*', MAX_BODY_BYTES],
  ['/rollouts/*', MAX_BODY_BYTES],
];

/** Every route's documentation, in the document's order: a route added above and not here fails the OpenAPI test. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  ...workerRouteDocs,
  ...metricsRouteDocs,
  ...consoleRouteDocs,
  ...objectRouteDocs,
  ...revisionRouteDocs,
  ...tokenAndProxyRouteDocs,
  ...identityRouteDocs,
  ...bootstrapRouteDocs,
  ...rolloutRouteDocs,
  ...secretRouteDocs,
  ...webhookRouteDocs,
  ...discoveryRouteDocs,
];

let openApiMemo: { document: OpenApiDocument; body: string } | undefined;

/** The document for this build, made once per isolate (z.toJSONSchema over every schema takes milliseconds). */
export function openApiDocument(): { document: OpenApiDocument; body: string } {
  if (!openApiMemo) {
    const document = buildOpenApiDocument(ROUTE_DOCS, { version: packageJson.version, componentNames: INTENT_COMPONENT_NAMES });
    openApiMemo = { document, body: JSON.stringify(document) };
  }
  return openApiMemo;
}

const api = new Hono<{ Bindings: Env; Variables: AuthVariables }>();
// Authentication before anything else; then bodies are read only up to their route's limit, as they stream.
api.use('*', authenticated());
for (const [path, maxBodyBytes] of IDEMPOTENT_WRITES) api.use(path, limitBody(maxBodyBytes), idempotency());
for (const routes of API_ROUTES) api.route('/', routes);

/** The Worker's HTTP app: request ids, the one error boundary, health, the document, the API and discovery. */
export const app = new Hono<{ Bindings: Env }>();
app.use(requestId({ headerName: 'x-request-id' }));
// A Workers Analytics Engine data point per request (kind, route group, status), when the binding is there.
app.use(analyticsEngine);
app.onError(onError);
app.notFound((c) => problemResponse(c, { status: 404, title: 'Not Found', detail: `no route for ${c.req.method} ${c.req.path}` }));
app.get('/healthz', (c) => c.json({ status: 'ok' }));
// Without a token: the API's description is not a secret.
app.get('/openapi.json', (c) => c.body(openApiDocument().body, 200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }));
app.route('/api/v1', api);
// Prometheus' scrape, with a metrics:read token.
app.route('/', metrics);
// The web console: GET / and /console/* (no token; the page asks for one).
app.route('/', consoleFiles);
// SDS first: it answers only /v3/discovery:secrets and passes every other type on.
app.route('/', sds);
app.route('/', discovery);

import { Hono } from 'hono';
import packageJson from '../../package.json';
import { INTENT_COMPONENT_NAMES } from '../api/object-schemas';
import { buildOpenApiDocument, type OpenApiDocument } from './document';
import { ROUTE_DOCS } from './routes';

let memo: { document: OpenApiDocument; body: string } | undefined;

/** The document for this build, made once per isolate (z.toJSONSchema over every schema takes milliseconds). */
export function openApiDocument(): { document: OpenApiDocument; body: string } {
  if (!memo) {
    const document = buildOpenApiDocument(ROUTE_DOCS, { version: packageJson.version, componentNames: INTENT_COMPONENT_NAMES });
    memo = { document, body: JSON.stringify(document) };
  }
  return memo;
}

/** GET /openapi.json, without a token: the API's description is not a secret. */
const app = new Hono();
app.get('/openapi.json', (c) => c.body(openApiDocument().body, 200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }));

export default app;

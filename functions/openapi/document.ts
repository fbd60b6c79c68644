import type { z } from 'zod';
import { SCOPES } from '../domain/auth/tokens';
import { ProblemSchema } from '../http/problem-schema';
import { REQUEST_HEADERS, RESPONSE_HEADERS } from './headers';
import { SchemaConverter } from './json-schema';
import { buildOperation } from './operation';
import type { RouteDoc } from './route-doc';

export interface OpenApiOptions {
  version: string;
  /** Names for schemas that cannot carry `.meta({ id })` themselves (xds/intent's kinds): component name by schema. */
  componentNames?: ReadonlyMap<z.core.$ZodType, string>;
}

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };

const DESCRIPTION = `The edge API of xdsflare, a serverless control plane for Envoy: Istio networking objects in, Envoy xDS out.

Errors are \`application/problem+json\` (RFC 9457) with \`errors: [{path, message}]\` naming each offending field. Every response carries \`x-request-id\`. Writes are validated whole before anything is stored, take \`Idempotency-Key\`, and report warnings in a \`Warning\` header and the body's \`warnings\`.`;

const SCOPE_TEXT = `A token from the Worker secret ADMIN_TOKEN (scope \`admin\`) or one made with POST /api/v1/tokens. Scopes: ${SCOPES.map((s) => `\`${s}\``).join(', ')}; \`admin\` implies every scope. Each operation names the scope it needs. xDS pollers that cannot send headers (Envoy) may put the token in \`node.metadata.xds_token\` instead.`;

/**
 * The OpenAPI 3.1 document for `routes`: schemas from z.toJSONSchema (JSON Schema 2020-12, OpenAPI
 * 3.1's own dialect), shared ones as components; throws on a route described twice, a path
 * parameter without its schema, or a schema zod cannot represent.
 */
export function buildOpenApiDocument(routes: readonly RouteDoc[], opts: OpenApiOptions): OpenApiDocument {
  const converter = new SchemaConverter(opts.componentNames);
  const problem = converter.convert(ProblemSchema, 'output');
  const paths: Record<string, Record<string, Record<string, unknown>>> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is described twice`);
    const operation = buildOperation(converter, route);
    if (operationIds.has(operation.operationId as string)) throw new Error(`operationId ${String(operation.operationId)} is used twice`);
    operationIds.add(operation.operationId as string);
    item[route.method] = operation;
  }
  const { components: schemas, resolve } = converter.finish();
  const problemResponse = (description: string, headers: string[] = []) => ({
    description,
    headers: Object.fromEntries(['x-request-id', ...headers].map((h) => [h, { $ref: `#/components/headers/${h}` }])),
    content: { 'application/problem+json': { schema: problem } },
  });
  const tags = [...new Set(routes.flatMap((r) => r.tags))].map((name) => ({ name }));
  return resolve({
    openapi: '3.1.1',
    info: { title: 'xdsflare edge API', version: opts.version, description: DESCRIPTION },
    servers: [
      { url: '/', description: 'The deployment serving this document' },
      { url: 'http://127.0.0.1:8787', description: '`npm start` on a laptop' },
    ],
    tags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: SCOPE_TEXT } },
      parameters: Object.fromEntries(Object.entries(REQUEST_HEADERS).map(([id, h]) => [id, { in: 'header', required: false, ...h }])),
      headers: RESPONSE_HEADERS,
      responses: {
        Unauthorized: problemResponse('No bearer token, or an unknown one', ['WWW-Authenticate']),
        Forbidden: problemResponse('The token lacks the scope this operation needs'),
        Problem: problemResponse('Any other failure, as application/problem+json'),
      },
    },
  }) as OpenApiDocument;
}

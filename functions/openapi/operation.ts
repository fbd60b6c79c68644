import type { z } from 'zod';
import { ProblemSchema } from '../http/problem-schema';
import { REQUEST_HEADERS, type ResponseHeaderName } from './headers';
import type { JsonSchema, SchemaConverter } from './json-schema';
import type { RouteDoc } from './route-doc';

type Json = Record<string, unknown>;

const WRITES = new Set(['put', 'post', 'patch', 'delete']);
const PROBLEM_JSON = 'application/problem+json';

/** `get /api/v1/revisions/{n}/status` → `getRevisionsByNStatus` (the /api/v1 prefix is the same everywhere). */
export function defaultOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1/, '')
    .split(/[/:_.-]+/)
    .filter(Boolean)
    .map((w) => (w.startsWith('{') ? `By${cap(w.slice(1, -1))}` : cap(w)));
  return method + words.join('');
}
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

export const honoursIdempotencyKey = (route: RouteDoc) => route.idempotencyKey ?? WRITES.has(route.method);

/** An object schema's properties as OpenAPI parameters of one location (descriptions lifted onto the parameter). */
function parametersOf(converter: SchemaConverter, object: z.ZodObject | undefined, location: 'path' | 'query' | 'header'): Json[] {
  if (!object) return [];
  const json = converter.convert(object, 'input');
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => {
    const shared = location === 'header' && Object.entries(REQUEST_HEADERS).find(([, h]) => h.name.toLowerCase() === name.toLowerCase());
    if (shared) return { $ref: `#/components/parameters/${shared[0]}` };
    const { description, ...rest } = schema;
    return { name, in: location, required: location === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function requestBodyOf(converter: SchemaConverter, body: NonNullable<RouteDoc['body']>): Json {
  const content: Json = {};
  for (const type of body.contentTypes ?? ['application/json']) content[type] = { schema: converter.convert(body.byContentType?.[type] ?? body.schema, 'input') };
  return { required: body.required ?? true, ...(body.description ? { description: body.description } : {}), content };
}

function headersOf(names: readonly ResponseHeaderName[]): Json {
  return Object.fromEntries(['x-request-id', ...names].map((n) => [n, { $ref: `#/components/headers/${n}` }]));
}

function responsesOf(converter: SchemaConverter, route: RouteDoc): Json {
  const responses: Json = {};
  const replayable = honoursIdempotencyKey(route);
  for (const [status, r] of Object.entries(route.responses)) {
    const success = Number(status) < 300;
    const names = [...(r.headers ?? []), ...(success && replayable ? (['Idempotent-Replayed'] as const) : [])];
    const contentType = r.contentType ?? (r.schema === ProblemSchema ? PROBLEM_JSON : 'application/json');
    const types = { ...(r.schema || r.contentType ? { [contentType]: r.schema } : {}), ...r.byContentType };
    const content = Object.fromEntries(Object.entries(types).map(([type, schema]) => [type, schema ? { schema: converter.convert(schema, 'output') } : {}]));
    responses[status] = { description: r.description, headers: headersOf(names), ...(Object.keys(content).length ? { content } : {}) };
  }
  if (route.scope) {
    responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
    responses['403'] ??= { $ref: '#/components/responses/Forbidden' };
  }
  responses.default = { $ref: '#/components/responses/Problem' };
  return responses;
}

function securityOf(route: RouteDoc): { security: Json[]; note: string } {
  if (!route.scope) return { security: [], note: '' };
  const note = `Requires a bearer token with scope \`${route.scope}\`${route.scope === 'admin' ? '' : ' (or `admin`)'}${route.authOptional ? ', unless the deployment allows anonymous reads' : ''}.`;
  return { security: [{ bearer: [route.scope] }, ...(route.authOptional ? [{}] : [])], note };
}

/** One RouteDoc as an OpenAPI Operation Object (schemas with refs still to be resolved by the converter). */
export function buildOperation(converter: SchemaConverter, route: RouteDoc): Json {
  const declared = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const given = Object.keys(route.params?.shape ?? {});
  if (declared.join() !== given.join()) throw new Error(`${route.method} ${route.path}: path parameters {${declared.join(', ')}} but params describes [${given.join(', ')}]`);
  const { security, note } = securityOf(route);
  const parameters = [
    ...parametersOf(converter, route.params, 'path'),
    ...parametersOf(converter, route.query, 'query'),
    ...parametersOf(converter, route.headers, 'header'),
    ...(honoursIdempotencyKey(route) ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
  ];
  const description = [route.description, note].filter(Boolean).join('\n\n');
  return {
    operationId: route.operationId ?? defaultOperationId(route.method, route.path),
    summary: route.summary,
    ...(description ? { description } : {}),
    tags: route.tags,
    security,
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBodyOf(converter, route.body) } : {}),
    responses: responsesOf(converter, route),
  };
}

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';

/** Checks real answers against the document /openapi.json serves (its own JSON Schemas, through Ajv). */

export type OpenApi = { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, any>> };
export type Operation = { operationId: string; parameters?: any[]; responses: Record<string, any> };

export const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** Every operation the document describes. */
export const documentedOperations = (doc: OpenApi) =>
  Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method]! })));

type AppWithRoutes = { routes: { method: string; path: string; handler: unknown }[] };
/** Handlers and middleware registered on the app; a handler takes (c), middleware (c, next). */
export const appRoutes = (app: AppWithRoutes) => app.routes.map((r) => ({ method: r.method, path: r.path, handler: r.handler as ((...args: unknown[]) => unknown) & { name: string } }));
/** Handlers by method (middleware entries, method ALL, left out), in OpenAPI form. */
export const registeredRoutes = (app: AppWithRoutes) => appRoutes(app).filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, template: openApiPath(r.path), literals: literalPaths(r.path) }));

/** `/api/v1/namespaces/:namespace/:plural{(?:a|b)}` → `/api/v1/namespaces/{namespace}/{plural}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}');

const ALTERNATION = /:([A-Za-z0-9_]+)\{\(?(?:\?:)?([\w-]+(?:\|[\w-]+)+)\)?\}/;

/**
 * The literal paths a route stands for when a parameter is a plain alternation
 * (`:action{pause|resume}` → `.../pause`, `.../resume`), documented either way; [] when none is.
 */
export function literalPaths(honoPath: string): string[] {
  const m = ALTERNATION.exec(honoPath);
  if (!m) return [];
  return m[2]!.split('|').flatMap((word) => {
    const next = honoPath.replace(m[0], word);
    return ALTERNATION.test(next) ? literalPaths(next) : [openApiPath(next)];
  });
}

/** A Hono pattern (`/api/v1/namespaces/*`, `/v3/*`, `:x`) as a regular expression over concrete paths. */
export const honoPattern = (honoPath: string) =>
  new RegExp(`^${honoPath.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '[^/]+').replace(/\/\*$/, '(/.*)?').replace(/\*/g, '.*')}$`);

/** A concrete path for a documented one: enum params take their first value, others a placeholder. */
export function concretePath(doc: OpenApi, path: string, op: Operation): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const param = resolve(doc, op.parameters ?? []).find((p: any) => p.in === 'path' && p.name === name);
    return param?.schema?.enum?.[0] ?? 'openapi-probe';
  });
}

const resolve = (doc: OpenApi, list: any[]) => list.map((p) => (p.$ref ? doc.components.parameters![p.$ref.split('/').pop()] : p));

export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApi) {
    // The whole document under one id, so every `#/components/...` ref inside a schema resolves.
    this.ajv.addSchema({ ...doc, $id: 'https://xdsflare.test/openapi.json' } as never);
  }

  /** The response's status, content type and body as documented for `method path` (a documented template). */
  async expectDocumented(method: (typeof METHODS)[number], path: string, res: Response): Promise<any> {
    const op = this.doc.paths[path]?.[method];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    let response = op!.responses[String(res.status)];
    expect(response, `${method} ${path} documents status ${res.status}`).toBeDefined();
    if (response.$ref) response = this.doc.components.responses![response.$ref.split('/').pop()];
    expect(res.headers.get('x-request-id'), 'every answer has x-request-id').toBeTruthy();
    const text = await res.text();
    if (!response.content) {
      expect(text, `${method} ${path} ${res.status} has no body`).toBe('');
      return undefined;
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    expect(Object.keys(response.content), `${method} ${path} ${res.status} content type`).toContain(type);
    // Pages and files (the console's HTML, script, style sheet) have no schema: their type is the check.
    if (!/json|yaml/.test(type)) return text;
    // YAML answers (bootstraps) are checked against the same JSON Schema, parsed.
    const body = /yaml/.test(type) ? parseYaml(text) : JSON.parse(text);
    if (!response.content[type].schema) return body;
    const pointer = this.pointerTo(method, path, String(res.status), type);
    let validate = this.compiled.get(pointer);
    if (!validate) this.compiled.set(pointer, (validate = this.ajv.compile({ $ref: `https://xdsflare.test/openapi.json#${pointer}` })));
    if (!validate(body)) expect.fail(`${method} ${path} ${res.status}: the body breaks the documented schema: ${this.ajv.errorsText(validate.errors, { separator: '\n' })}\n${text.slice(0, 600)}`);
    return body;
  }

  private pointerTo(method: string, path: string, status: string, type: string): string {
    const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
    const ref = this.doc.paths[path]![method]!.responses[status].$ref as string | undefined;
    if (ref) return `${ref.slice(1)}/content/${escape(type)}/schema`;
    return `/paths/${escape(path)}/${method}/responses/${status}/content/${escape(type)}/schema`;
  }
}

import { parseAllDocuments } from 'yaml';
import { describeValue, prefixPath } from './errors';
import { findJsonSyntaxError, lineColumn } from './json-position';
import type { FieldError } from './types';
import { checkValueLimits } from './value-limits';

export type ParseManifestResult = { ok: true; documents: unknown[] } | { ok: false; errors: FieldError[] };
export type ParseObjectBodyResult = { ok: true; object: unknown } | { ok: false; errors: FieldError[] };

type Format = 'json' | 'yaml';

const fail = (message: string): { ok: false; errors: FieldError[] } => ({ ok: false, errors: [{ path: '', message }] });

/** JSON for `application/json` and `+json`, YAML for the YAML types; sniffed when the type says neither. */
function formatOf(contentType: string, text: string): Format | undefined {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (/^(application|text)\/(x-)?yaml$/.test(type) || type.endsWith('+yaml')) return 'yaml';
  if (type === '' || type === 'text/plain' || type === 'application/octet-stream') return /^\s*[[{]/.test(text) ? 'json' : 'yaml';
  return undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; errors: FieldError[] } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8's messages differ between versions and do not always give a position; describe it ourselves.
    const problem = findJsonSyntaxError(text) ?? { offset: 0, expected: 'valid JSON' };
    const { line, column } = lineColumn(text, problem.offset);
    const found = problem.offset < text.length ? JSON.stringify(text[problem.offset]) : 'the end of the text';
    return fail(`invalid JSON at line ${line}, column ${column}: expected ${problem.expected}, got ${found}`);
  }
}

/** YAML 1.2 (the `yaml` package's default core schema: `on` and `yes` stay strings), duplicate keys refused. */
function parseYaml(text: string): { ok: true; values: unknown[] } | { ok: false; errors: FieldError[] } {
  const values: unknown[] = [];
  const errors: FieldError[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true })) {
    // Unknown tags ("!foo") only warn in the yaml package; a manifest must not depend on them.
    const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
    for (const problem of problems) {
      errors.push({ path: '', message: `invalid YAML: ${problem.message.split('\n')[0]!.replace(/:$/, '')}` });
    }
    if (problems.length > 0) continue;
    try {
      const value = doc.toJS({ maxAliasCount: 100 });
      if (value !== null && value !== undefined) values.push(value);
    } catch (error) {
      errors.push({ path: '', message: `invalid YAML: ${(error as Error).message}` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Documents past the nesting, size or key limits (value-limits.ts), each error at its document's `[i]`. */
function limitErrors(documents: unknown[], indexed: boolean): FieldError[] {
  return documents.flatMap((doc, i) => {
    const problem = checkValueLimits(doc);
    return problem ? [{ ...problem, path: indexed ? prefixPath(`[${i}]`, problem.path) : problem.path }] : [];
  });
}

const withinLimits = (documents: unknown[]): ParseManifestResult => {
  const errors = limitErrors(documents, true);
  return errors.length ? { ok: false, errors } : { ok: true, documents };
};

/** A Kubernetes `List` (`kind: List`, `items`) stands for its items. */
function expandList(value: unknown): unknown[] {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items;
  return [value];
}

/**
 * Splits a manifest into its objects: JSON (an object, an array of objects, or a `List`) or YAML (one or
 * more `---`-separated documents; empty ones skipped). Objects are not validated here; a document's index
 * in `documents` is the `[i]` prefix to use for its paths.
 */
export function parseManifest(text: string, contentType: string): ParseManifestResult {
  text = text.replace(/^\uFEFF/, '');
  const format = formatOf(contentType, text);
  if (format === undefined) return fail(`unsupported content type "${contentType}"; send application/json or application/yaml`);
  if (format === 'json') {
    const parsed = parseJson(text);
    if (!parsed.ok) return parsed;
    const { value } = parsed;
    if (Array.isArray(value)) return withinLimits(value);
    if (isRecord(value)) return withinLimits(expandList(value));
    return fail(`expected an object or an array of objects, got ${describeValue(value)}`);
  }
  const parsed = parseYaml(text);
  if (!parsed.ok) return parsed;
  return withinLimits(parsed.values.flatMap(expandList));
}

/** Parses the body of a single-object write (PUT): JSON or YAML, exactly one object. */
export function parseObjectBody(text: string, contentType: string): ParseObjectBodyResult {
  text = text.replace(/^\uFEFF/, '');
  const format = formatOf(contentType, text);
  if (format === undefined) return fail(`unsupported content type "${contentType}"; send application/json or application/yaml`);
  let values: unknown[];
  if (format === 'json') {
    const parsed = parseJson(text);
    if (!parsed.ok) return parsed;
    values = [parsed.value];
  } else {
    const parsed = parseYaml(text);
    if (!parsed.ok) return parsed;
    values = parsed.values;
  }
  if (values.length !== 1) return fail(`expected exactly one object, got ${values.length} documents`);
  const [value] = values;
  if (!isRecord(value)) return fail(`expected an object, got ${describeValue(value)}`);
  const errors = limitErrors([value], false);
  return errors.length ? { ok: false, errors } : { ok: true, object: value };
}

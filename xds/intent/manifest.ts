import { Composer, Parser, parseAllDocuments, type YAMLError } from 'yaml';
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

/** One document of a manifest read as a stream (limit errors carry its `[i]`), or why the text is not a manifest. */
export type ManifestItem = { ok: true; document: unknown } | { ok: false; errors: FieldError[] };

/**
 * The elements of a top-level JSON array as text slices, without parsing the whole: a string scan for
 * where each element ends (depth and strings tracked). Undefined when the text is not an array; a
 * malformed element is found by JSON.parse of its slice, and then the whole text is described.
 */
function* jsonArrayElements(text: string): Generator<string> {
  let i = 0;
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  ws();
  i++; // '['
  ws();
  if (text[i] === ']') return;
  for (;;) {
    ws();
    const start = i;
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        // A string: to its closing quote, escapes skipped.
        for (i++; i < text.length; i++) {
          const d = text.charCodeAt(i);
          if (d === 92) i++;
          else if (d === 34) break;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0) break;
        depth--;
      } else if (c === 44 && depth === 0) break;
    }
    yield text.slice(start, i);
    if (text[i] !== ',') return;
    i++;
  }
}

/** A YAML document's problems as FieldErrors, positioned as the yaml package's pretty errors are (line and column). */
const yamlProblems = (text: string, problems: YAMLError[]): FieldError[] =>
  problems.map((problem) => {
    const at = problem.pos[0] === -1 ? '' : (({ line, column }) => ` at line ${line}, column ${column}`)(lineColumn(text, problem.pos[0]));
    return { path: '', message: `invalid YAML: ${problem.message.split('\n')[0]!.replace(/:$/, '')}${at}` };
  });

/**
 * A manifest as a stream of documents, each parsed as it is reached and dropped by the caller once
 * used: a whole mesh's manifest (tens of megabytes) is never held parsed at once. The same rules as
 * parseManifest; the first item is an error (and the only one) when the text is no manifest at all.
 * A JSON object (a single object or a `List`) is parsed whole.
 */
export function* manifestDocuments(text: string, contentType: string): Generator<ManifestItem> {
  let index = 0;
  const checked = (document: unknown): ManifestItem => {
    const problem = checkValueLimits(document);
    const at = `[${index++}]`;
    return problem ? { ok: false, errors: [{ ...problem, path: prefixPath(at, problem.path) }] } : { ok: true, document };
  };
  text = text.replace(/^\uFEFF/, '');
  const format = formatOf(contentType, text);
  if (format === undefined) return yield fail(`unsupported content type "${contentType}"; send application/json or application/yaml`);
  if (format === 'json') {
    if (!/^\s*\[/.test(text)) {
      const whole = parseManifest(text, contentType);
      if (!whole.ok) return yield whole;
      for (const document of whole.documents) yield checked(document);
      return;
    }
    // Syntax first (a scan that builds nothing): an error anywhere refuses the whole, as JSON.parse would.
    let syntaxOk: boolean;
    try {
      syntaxOk = findJsonSyntaxError(text) === undefined;
    } catch {
      syntaxOk = false; // nesting too deep for the recogniser: JSON.parse decides, and the limits refuse it
    }
    if (!syntaxOk) {
      const whole = parseManifest(text, contentType);
      if (!whole.ok) return yield whole;
      for (const document of whole.documents) yield checked(document);
      return;
    }
    for (const element of jsonArrayElements(text)) yield checked(JSON.parse(element));
    return;
  }
  for (const doc of new Composer({ uniqueKeys: true }).compose(new Parser().parse(text))) {
    const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
    if (problems.length) {
      yield { ok: false, errors: yamlProblems(text, problems) };
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      yield fail(`invalid YAML: ${(error as Error).message}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    for (const document of expandList(value)) yield checked(document);
  }
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

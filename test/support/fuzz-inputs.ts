import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';

/**
 * Hostile inputs for the fuzz suites (issue 13's list): values nested deeper than any limit, huge strings,
 * `__proto__`/`constructor` keys, regexes RE2 or Envoy refuse, keys Kubernetes refuses, odd unicode, wrong
 * types and numbers out of range — spliced into valid objects at random places, and written as JSON or as
 * YAML (anchors and aliases too). Values JSON.stringify cannot write (100,000 levels, lone surrogates,
 * duplicate keys, 1e999) are `Raw` text put into the body as it is.
 */

/** JSON text put into a body verbatim. */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON with Raw parts; iterative for arrays/objects of ordinary depth (Raw carries the deep ones). */
export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${toJsonText((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

const containsRaw = (value: unknown): boolean =>
  value instanceof Raw || (Array.isArray(value) ? value.some(containsRaw) : !!value && typeof value === 'object' && Object.values(value).some(containsRaw));

/** YAML of a value (a Raw part as JSON, which YAML reads as a flow collection or a quoted scalar). */
export function toYamlText(value: unknown): string {
  if (!containsRaw(value)) return toYaml(value, { aliasDuplicateObjects: false, lineWidth: 0 });
  return toJsonText(value);
}

const nestedText = (levels: number, open: string, close: string, leaf: string) => open.repeat(levels) + leaf + close.repeat(levels);

/** Values past the API's limits or outside what its schemas take. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  // Nesting: just past the limit of 100, far past it, and past any recursive walk's stack.
  fc.constantFrom(101, 150, 3_000, 100_000).chain((n) => fc.constantFrom(new Raw(nestedText(n, '{"a":', '}', '{}')), new Raw(nestedText(n, '[', ']', '1')))),
  // Huge strings: past a field's sense, past 1 MiB as JSON, past D1's 2 MB row as UTF-8.
  fc.constantFrom(10_000, 300_000, 1_100_000).map((n) => 'x'.repeat(n)),
  fc.constant('€'.repeat(700_000)),
  // Prototype keys.
  fc.constantFrom(new Raw('{"__proto__":{"polluted":true}}'), new Raw('{"__proto__":"x"}'), { constructor: { prototype: { polluted: true } } }, { toString: 'x', valueOf: 1, hasOwnProperty: null }),
  // Regexes RE2 (and so Envoy) refuses, or whose program passes Envoy's size limit, and ones JS refuses.
  fc.constantFrom('\\Z', '\\e', '\\G', '\\K', '\\R', '\\X', '\\h', '\\N{LATIN SMALL LETTER A}', 'a{1001}', '[[:foo:]]', '\\g1', '(a)\\1', '(?<n>a)\\k<n>', '(', '[', '*', '(?P<n', '\\p{Nope}', '((a{100}){100}){100}', 'x'.repeat(5000) + '*'),
  // Keys and label values Kubernetes refuses.
  fc.constantFrom('a/b/c', '-bad', 'bad-', '', ' ', 'x'.repeat(64), 'Bad_Prefix.io/x', 'a..b/c', '\u0000', '../../etc/passwd', 'ns/../x', '%2e%2e'),
  // Unicode: controls, bidi overrides, emoji, combining marks, a BOM, lone surrogates (escaped: JSON.stringify would not write them).
  fc.constantFrom('\u202egnp.exe', '💥🔥', 'e\u0301\u0301\u0301', '\uFEFFx', '\u0007\u001b[31m', 'Ω≈ç√', '\u200b', new Raw('"\\ud800"'), new Raw('"\\udfff\\ud800"')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // Wrong types.
  fc.constantFrom(null, true, false, 0, '', [], {}, [null], [[[]]], { '': '' }, ['a', 1, null, {}], '10.0.0.1'),
  // Numbers out of range, fractions for integers, and numbers JSON.parse makes Infinity or rounds.
  fc.constantFrom(-1, 65_536, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 1.5, 1e-300, -0, 101, new Raw('1e999'), new Raw('-1e999'), new Raw('123456789012345678901234567890')),
  fc.double(),
  // Duplicate keys (JSON.parse keeps the last).
  fc.constant(new Raw('{"a":1,"a":{"b":2},"a":[3]}')),
);

export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'a/b/c', '-bad', '', 'x'.repeat(64), 'Bad_Prefix.io/x', '\u0000', '💥', 'app.kubernetes.io/' + 'n'.repeat(70), '$ref', '~1', '/'),
  fc.string({ maxLength: 12 }),
);

/** Paths to every value inside `value` (objects and arrays), the root included. */
export function pathsOf(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object' && !(value instanceof Raw)) for (const k of Object.keys(value)) pathsOf((value as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], replace: (old: unknown) => unknown): unknown {
  if (!path.length) return replace(root);
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? setAt(v, rest, replace) : v));
  if (root && typeof root === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(root)) out[k] = k === head ? setAt((root as Record<string, unknown>)[k], rest, replace) : (root as Record<string, unknown>)[k];
    return out;
  }
  return root;
}

type Path = (string | number)[];
type Mutation = { at: number; hot: boolean; how: 'replace' | 'delete' | 'add' | 'rename'; value: unknown; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), hot: fc.boolean(), how: fc.constantFrom('replace', 'replace', 'delete', 'add', 'rename'), value: hostileValue, key: hostileKey });

/**
 * Where the issue's 500s were: free-form values (EnvoyFilter patches), label and annotation maps, regexes,
 * ports and weights. Half the mutations land on one of these (when the object has it), half anywhere.
 */
const HOT: Path[] = [
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'name'],
  ['spec', 'configPatches', 0, 'patch', 'value'],
  ['spec', 'configPatches', 0, 'match'],
  ['spec', 'http', 0, 'match', 0, 'uri', 'regex'],
  ['spec', 'http', 0, 'match', 0, 'headers'],
  ['spec', 'http', 1, 'route', 0, 'weight'],
  ['spec', 'endpoints', 0, 'ports'],
  ['spec', 'endpoints', 0, 'labels'],
  ['spec', 'ports', 0, 'number'],
  ['spec', 'subsets', 0, 'labels'],
  ['spec', 'selector'],
  ['spec', 'servers', 0, 'port'],
];

const present = (value: unknown, path: Path) => path.every((p) => value && typeof value === 'object' && !(value instanceof Raw) && Object.hasOwn(value, p) && ((value = (value as Record<string, unknown>)[p]), true));

function applyMutation(value: unknown, m: Mutation): unknown {
  const hot = m.hot ? HOT.filter((p) => present(value, p)) : [];
  const paths = hot.length ? hot : pathsOf(value);
  const path = paths[m.at % paths.length]!;
  const parent = path.slice(0, -1);
  const last = path.at(-1);
  switch (m.how) {
    case 'replace':
      return setAt(value, path, () => m.value);
    case 'delete':
      return last === undefined ? m.value : setAt(value, parent, (p) => (Array.isArray(p) ? p.filter((_, i) => i !== last) : Object.fromEntries(Object.entries(p as object).filter(([k]) => k !== last))));
    case 'add':
      return setAt(value, path, (p) => (Array.isArray(p) ? [...p, m.value] : p && typeof p === 'object' && !(p instanceof Raw) ? withKey(p as Record<string, unknown>, m.key, m.value) : m.value));
    case 'rename':
      return last === undefined || typeof last === 'number' ? value : setAt(value, parent, (p) => withKey(Object.fromEntries(Object.entries(p as object).filter(([k]) => k !== last)), m.key, (p as Record<string, unknown>)[last]));
  }
}

/** An own property even for `__proto__`, which an assignment would not make. */
function withKey(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = { ...object };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** 1 to 3 hostile mutations of `base` (or none, one time in eight: valid writes keep the state moving). */
export const mutated = (base: unknown) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(base) }, { weight: 7, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce(applyMutation, base)) });

/** YAML that is hostile as YAML: alias amplification, merge keys, tags, deep flow collections, many documents. */
export const hostileYaml: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    // Billion laughs, small and past the expanded-size limit.
    `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`,
    `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: bomb, namespace: fuzz, annotations: {a: &x "${'y'.repeat(50_000)}", b: *x, c: *x, d: *x}}\nspec: {hosts: [bomb.fuzz.svc.cluster.local], resolution: STATIC, ports: [{number: 80, name: http, protocol: HTTP}], endpoints: [{address: 10.0.0.1}]}\n`,
    `base: &base {number: 80, name: http, protocol: HTTP}\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: merged, namespace: fuzz}\nspec: {hosts: [merged.fuzz.svc.cluster.local], resolution: STATIC, ports: [{<<: *base, number: 81}], endpoints: [{address: 10.0.0.1}]}\n`,
    `apiVersion: !!js/function "function(){}"\nkind: ServiceEntry\n`,
    `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: !!binary aGVsbG8=, namespace: fuzz}\n`,
    `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: &m {name: self, namespace: fuzz, labels: *m}\n`,
    `${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
    `${'- '.repeat(2_000)}x\n`,
    Array.from({ length: 3_000 }, () => '---\n{}').join('\n'),
    '---\n---\n---\n',
    `? [a, b]\n: complex key\n`,
    `%YAML 1.1\n---\nyes: no\non: off\n`,
    `a: 1\na: 2\n`,
    `\t- tab indented\n`,
    '\uFEFFapiVersion: networking.istio.io/v1\n',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** Bodies that are not what their content type says. */
export const brokenBody: fc.Arbitrary<{ body: string | Uint8Array; contentType: string }> = fc.oneof(
  fc.constantFrom('', 'null', '[]', '{}', '1', '"x"', '{', '[{"apiVersion":', '{"a":1}garbage', '\uFEFF{}').map((body) => ({ body, contentType: 'application/json' })),
  fc.constant({ body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), contentType: 'application/json' }),
  fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json-patch+json', 'application/merge-patch+json', 'multipart/form-data; boundary=x').map((contentType) => ({ body: '{}', contentType })),
);

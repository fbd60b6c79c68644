import type { DescEnum } from '@bufbuild/protobuf';

/** One failed rule: `rule` as PGV spells it (`string.min_len = 1`), `message` for people. */
export interface Failure {
  rule: string;
  message: string;
}

type Rules = Record<string, unknown>;
type Ordered = number | bigint;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const list = (values: unknown[], show: (v: unknown) => string) => `[${values.map(show).join(', ')}]`;
const BOUND_WORDS: Record<string, string> = { gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most' };

/**
 * const, gt/gte/lt/lte and in/not_in over numbers, 64-bit integers and durations (as nanoseconds).
 * As in PGV, an upper bound below the lower bound means the value must lie outside that range.
 */
export function checkOrdered(kind: string, r: Rules, value: Ordered, parse: (rule: unknown) => Ordered, show: (rule: unknown) => string): Failure[] {
  const out: Failure[] = [];
  const rule = (k: string) => `${kind}.${k} = ${show(r[k])}`;
  const same = (rv: unknown) => parse(rv) == value; // loose: a number rule may meet a bigint value
  if (r.const !== undefined && !same(r.const)) out.push({ rule: rule('const'), message: `must be ${show(r.const)}` });
  const lower = r.gt !== undefined ? 'gt' : r.gte !== undefined ? 'gte' : undefined;
  const upper = r.lt !== undefined ? 'lt' : r.lte !== undefined ? 'lte' : undefined;
  const okLower = !lower || (lower === 'gt' ? value > parse(r.gt) : value >= parse(r.gte));
  const okUpper = !upper || (upper === 'lt' ? value < parse(r.lt) : value <= parse(r.lte));
  if (lower && upper && parse(r[upper]) < parse(r[lower])) {
    if (!okLower && !okUpper) out.push({ rule: `${rule(upper)}, ${lower} = ${show(r[lower])}`, message: `must be ${BOUND_WORDS[upper]} ${show(r[upper])} or ${BOUND_WORDS[lower]} ${show(r[lower])}` });
  } else {
    if (!okLower) out.push({ rule: rule(lower!), message: `must be ${BOUND_WORDS[lower!]} ${show(r[lower!])}` });
    if (!okUpper) out.push({ rule: rule(upper!), message: `must be ${BOUND_WORDS[upper!]} ${show(r[upper!])}` });
  }
  const inList = r.in as unknown[] | undefined;
  if (inList?.length && !inList.some(same)) out.push({ rule: `${kind}.in = ${list(inList, show)}`, message: `must be one of ${list(inList, show)}` });
  const notIn = r.not_in as unknown[] | undefined;
  if (notIn?.some(same)) out.push({ rule: `${kind}.not_in = ${list(notIn, show)}`, message: `must not be one of ${list(notIn, show)}` });
  return out;
}

/** Numbers: 64-bit integers arrive as bigint, their rules as decimal strings. */
export const checkNumber = (kind: string, r: Rules, value: number | bigint) =>
  checkOrdered(kind, r, value, (rv) => (typeof value === 'bigint' ? BigInt(rv as string) : Number(rv)), String);

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
/** A proto3-JSON duration ("0.001s") as nanoseconds. */
export function durationNanos(text: string): bigint {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a proto3 JSON duration: ${text}`);
  const nanos = BigInt(m[2]!) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
  return m[1] ? -nanos : nanos;
}

export const checkDuration = (r: Rules, value: { seconds: bigint; nanos: number }) =>
  checkOrdered('duration', r, value.seconds * 1_000_000_000n + BigInt(value.nanos), (rv) => durationNanos(rv as string), String);

// PGV's well-known regexes (validate/validate.h), so header checks agree with Envoy's.
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

const patterns = new Map<string, RegExp | null>();
function compiled(pattern: string): RegExp | null {
  if (!patterns.has(pattern)) {
    try {
      patterns.set(pattern, new RegExp(pattern, 'u'));
    } catch {
      patterns.set(pattern, null); // RE2 syntax JavaScript cannot compile: not checked rather than a false refusal
    }
  }
  return patterns.get(pattern)!;
}

const utf8 = new TextEncoder();
const quote = (v: unknown) => JSON.stringify(v);

/** StringRules. Lengths count characters (code points), `*_bytes` count UTF-8 bytes, as PGV does. */
export function checkString(r: Rules, value: string): Failure[] {
  if (r.ignore_empty === true && value === '') return [];
  const out: Failure[] = [];
  const fail = (key: string, message: string, shown = quote(r[key])) => out.push({ rule: `string.${key} = ${shown}`, message });
  const chars = [...value].length;
  const n = (k: string) => Number(r[k]);
  const has = (k: string) => r[k] !== undefined;
  if (has('const') && value !== r.const) fail('const', `must be ${quote(r.const)}`);
  if (has('len') && chars !== n('len')) fail('len', `must be exactly ${plural(n('len'), 'character')}`, String(r.len));
  if (has('min_len') && chars < n('min_len')) fail('min_len', `must be at least ${plural(n('min_len'), 'character')}`, String(r.min_len));
  if (has('max_len') && chars > n('max_len')) fail('max_len', `must be at most ${plural(n('max_len'), 'character')}`, String(r.max_len));
  const bytes = has('len_bytes') || has('min_bytes') || has('max_bytes') ? utf8.encode(value).length : 0;
  if (has('len_bytes') && bytes !== n('len_bytes')) fail('len_bytes', `must be exactly ${plural(n('len_bytes'), 'byte')}`, String(r.len_bytes));
  if (has('min_bytes') && bytes < n('min_bytes')) fail('min_bytes', `must be at least ${plural(n('min_bytes'), 'byte')}`, String(r.min_bytes));
  if (has('max_bytes') && bytes > n('max_bytes')) fail('max_bytes', `must be at most ${plural(n('max_bytes'), 'byte')}`, String(r.max_bytes));
  if (has('pattern') && compiled(r.pattern as string)?.test(value) === false) fail('pattern', `must match the regular expression ${r.pattern}`);
  if (has('prefix') && !value.startsWith(r.prefix as string)) fail('prefix', `must start with ${quote(r.prefix)}`);
  if (has('suffix') && !value.endsWith(r.suffix as string)) fail('suffix', `must end with ${quote(r.suffix)}`);
  if (has('contains') && !value.includes(r.contains as string)) fail('contains', `must contain ${quote(r.contains)}`);
  if (has('not_contains') && value.includes(r.not_contains as string)) fail('not_contains', `must not contain ${quote(r.not_contains)}`);
  const inList = r.in as string[] | undefined;
  if (inList?.length && !inList.includes(value)) fail('in', `must be one of ${list(inList, quote)}`, list(inList, quote));
  const notIn = r.not_in as string[] | undefined;
  if (notIn?.includes(value)) fail('not_in', `must not be one of ${list(notIn, quote)}`, list(notIn, quote));
  const known = r.well_known_regex as string | undefined;
  if (known === 'HTTP_HEADER_NAME' || known === 'HTTP_HEADER_VALUE') {
    const strict = r.strict !== false;
    const re = !strict ? HEADER_LOOSE : known === 'HTTP_HEADER_NAME' ? HEADER_NAME : HEADER_VALUE;
    const what = known === 'HTTP_HEADER_NAME' ? 'an HTTP header name' : 'an HTTP header value';
    if (!re.test(value)) fail('well_known_regex', `must be ${what}${strict ? '' : ' (no NUL, CR or LF)'}`, `${known}${strict ? '' : ', strict = false'}`);
  }
  return out;
}

/** BytesRules: the lengths (the only ones Envoy uses). */
export function checkBytes(r: Rules, value: Uint8Array): Failure[] {
  const out: Failure[] = [];
  const n = (k: string) => Number(r[k]);
  if (r.len !== undefined && value.length !== n('len')) out.push({ rule: `bytes.len = ${r.len}`, message: `must be exactly ${plural(n('len'), 'byte')}` });
  if (r.min_len !== undefined && value.length < n('min_len')) out.push({ rule: `bytes.min_len = ${r.min_len}`, message: `must be at least ${plural(n('min_len'), 'byte')}` });
  if (r.max_len !== undefined && value.length > n('max_len')) out.push({ rule: `bytes.max_len = ${r.max_len}`, message: `must be at most ${plural(n('max_len'), 'byte')}` });
  return out;
}

/** EnumRules; values are shown by name where the enum defines them. */
export function checkEnum(r: Rules, value: number, desc: DescEnum): Failure[] {
  const show = (v: unknown) => desc.values.find((e) => e.number === Number(v))?.name ?? String(v);
  const out = checkOrdered('enum', { const: r.const, in: r.in, not_in: r.not_in }, value, Number, show);
  if (r.defined_only === true && !desc.values.some((e) => e.number === value)) out.push({ rule: 'enum.defined_only', message: `must be a value ${desc.typeName} defines (got ${value})` });
  return out;
}

export const checkBool = (r: Rules, value: boolean): Failure[] =>
  r.const !== undefined && value !== r.const ? [{ rule: `bool.const = ${r.const}`, message: `must be ${r.const}` }] : [];

/** AnyRules `in`/`not_in` on the packed type URL (`required` is a presence rule, checked by the walker). */
export function checkAnyType(r: Rules, typeUrl: string): Failure[] {
  const out: Failure[] = [];
  const inList = r.in as string[] | undefined;
  if (inList?.length && !inList.includes(typeUrl)) out.push({ rule: `any.in = ${list(inList, quote)}`, message: `must hold one of ${list(inList, quote)}` });
  if ((r.not_in as string[] | undefined)?.includes(typeUrl)) out.push({ rule: `any.not_in = ${list(r.not_in as string[], quote)}`, message: `must not hold ${quote(typeUrl)}` });
  return out;
}

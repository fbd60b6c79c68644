import type { HeaderMatchIR, QueryParamMatchIR, RouteMatchIR, StringMatchIR } from '../ir/types';

type Json = Record<string, unknown>;

/** Envoy's StringMatcher (its prefix must not be empty: callers turn "" into a presence match). */
export const stringMatcher = (m: StringMatchIR): Json => (m.kind === 'regex' ? { safe_regex: { regex: m.value } } : { [m.kind]: m.value });

const definite = (m: StringMatchIR | undefined) => (m && !(m.kind === 'prefix' && m.value === '') ? m : undefined);

function headerMatcher(h: HeaderMatchIR): Json {
  const match = definite(h.match);
  return { name: h.name, ...(match ? { string_match: stringMatcher(match) } : { present_match: true }), ...(h.invert ? { invert_match: true } : {}) };
}

function queryMatcher(q: QueryParamMatchIR): Json {
  const match = definite(q.match);
  return { name: q.name, ...(match ? { string_match: stringMatcher(match) } : { present_match: true }) };
}

function pathMatcher(m: RouteMatchIR | undefined): Json {
  const uri = m?.uri;
  if (!uri) return { prefix: '/' };
  if (uri.kind === 'exact') return { path: uri.value };
  if (uri.kind === 'prefix') return { prefix: uri.value };
  // Envoy's case_sensitive does not apply to regexes: make the regex itself case-insensitive.
  return { safe_regex: { regex: m.ignoreUriCase ? `(?i)${uri.value}` : uri.value } };
}

/** Envoy's RouteMatch for one Istio match (`undefined`: a rule without match, catching everything). */
export function buildMatch(m: RouteMatchIR | undefined): Json {
  const headers = [...(m?.headers ?? []), ...(m?.method ? [{ name: ':method', match: m.method }] : [])].map(headerMatcher);
  const query = (m?.queryParams ?? []).map(queryMatcher);
  return {
    ...pathMatcher(m),
    ...(m?.ignoreUriCase && m.uri && m.uri.kind !== 'regex' ? { case_sensitive: false } : {}),
    ...(headers.length ? { headers } : {}),
    ...(query.length ? { query_parameters: query } : {}),
  };
}

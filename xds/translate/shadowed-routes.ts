import type { HTTPMatchRequest, HTTPRoute, PresenceMatch, StringMatch } from '../intent/virtual-service';
import type { Diagnostics } from './diagnostics';

type Match = HTTPMatchRequest | undefined;

const isEmpty = (m: PresenceMatch) => m.exact === undefined && m.regex === undefined && !m.prefix;

/** Every string `inner` accepts, `outer` accepts too (certain cases only: regexes only when identical). */
function stringCovers(outer: StringMatch, inner: StringMatch, ignoreCase = false): boolean {
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (outer.regex !== undefined) return inner.regex === outer.regex;
  if (outer.exact !== undefined) return inner.exact !== undefined && norm(inner.exact) === norm(outer.exact);
  const prefix = norm(outer.prefix!);
  if (inner.exact !== undefined) return norm(inner.exact).startsWith(prefix);
  if (inner.prefix !== undefined) return norm(inner.prefix).startsWith(prefix);
  return prefix === '';
}

/** A header or query condition of `outer` holds whenever `inner`'s conditions hold. */
function presenceCovers(outer: Record<string, PresenceMatch> | undefined, inner: Record<string, PresenceMatch> | undefined): boolean {
  return Object.entries(outer ?? {}).every(([name, o]) => {
    const i = inner?.[name];
    if (!i) return false;
    if (isEmpty(o)) return true;
    return !isEmpty(i) && stringCovers(o as StringMatch, i as StringMatch);
  });
}

/** `outer` without-conditions hold whenever `inner`'s hold: the same condition, or inner requires absence. */
function absenceCovers(outer: Record<string, PresenceMatch> | undefined, inner: Record<string, PresenceMatch> | undefined): boolean {
  return Object.entries(outer ?? {}).every(([name, o]) => {
    const i = inner?.[name];
    return i !== undefined && (isEmpty(i) || JSON.stringify(i) === JSON.stringify(o));
  });
}

/** Every request `inner` matches, `outer` (earlier) matches too. `undefined` stands for "no match: everything". */
export function matchCovers(outer: Match, inner: Match): boolean {
  if (!outer) return true;
  // A sourceLabels match applies to some proxies only, so it shadows nothing for certain.
  if (outer.sourceLabels !== undefined) return false;
  if (outer.port !== undefined && inner?.port !== outer.port) return false;
  // Only where the outer match applies too: at every gateway the inner one names (none named: all of them).
  if (outer.gateways?.length && !(inner?.gateways?.length && inner.gateways.every((g) => outer.gateways!.includes(g)))) return false;
  // Every path starts with "/": a prefix "/" (or "") is no condition at all.
  const uri = outer.uri && !(outer.uri.prefix === '/' || outer.uri.prefix === '') ? outer.uri : undefined;
  if (uri) {
    // Outer case-insensitive covers inner either way; outer case-sensitive only a case-sensitive inner.
    if (!inner?.uri || (inner.ignoreUriCase && !outer.ignoreUriCase)) return false;
    if (uri.regex !== undefined && Boolean(inner.ignoreUriCase) !== Boolean(outer.ignoreUriCase)) return false;
    if (!stringCovers(uri, inner.uri, outer.ignoreUriCase)) return false;
  }
  if (outer.method && (!inner?.method || !stringCovers(outer.method, inner.method))) return false;
  return presenceCovers(outer.headers, inner?.headers) && presenceCovers(outer.queryParams, inner?.queryParams) && absenceCovers(outer.withoutHeaders, inner?.withoutHeaders);
}

const ruleName = (rule: HTTPRoute, i: number) => `spec.http[${i}]${rule.name ? ` ("${rule.name}")` : ''}`;

/**
 * Warns about matches no request can reach because an earlier rule of the same VirtualService
 * catches everything they would. Conservative: only certain cases are reported.
 */
export function checkShadowedRoutes(http: HTTPRoute[], source: string, diag: Diagnostics): void {
  http.forEach((rule, j) => {
    const matches: Match[] = rule.match?.length ? rule.match : [undefined];
    matches.forEach((m, k) => {
      if (m?.sourceLabels !== undefined) return;
      for (let i = 0; i < j; i++) {
        const earlier: Match[] = http[i]!.match?.length ? http[i]!.match! : [undefined];
        const l = earlier.findIndex((e) => matchCovers(e, m));
        if (l === -1) continue;
        const message = http[i]!.match?.length
          ? `never matches: ${ruleName(http[i]!, i)} match[${l}] comes first and catches every request this one would`
          : `never matches: ${ruleName(http[i]!, i)} has no match, so it catches every request first`;
        diag.warn(source, m ? `spec.http[${j}].match[${k}]` : `spec.http[${j}]`, message);
        return;
      }
    });
  });
}

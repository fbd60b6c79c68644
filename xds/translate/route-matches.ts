import type { HTTPMatchRequest, PresenceMatch, StringMatch } from '../intent/virtual-service';
import type { HeaderMatchIR, QueryParamMatchIR, RouteMatchIR, StringMatchIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { matchAppliesAt } from './match-gateways';
import type { SourceSelectors } from './source-selectors';

export const toStringMatch = (m: StringMatch): StringMatchIR =>
  m.exact !== undefined ? { kind: 'exact', value: m.exact } : m.prefix !== undefined ? { kind: 'prefix', value: m.prefix } : { kind: 'regex', value: m.regex! };

// Istio reads `{}` (and an empty prefix, which Envoy's matchers refuse) as "present with any value".
const presence = (m: PresenceMatch): StringMatchIR | undefined =>
  (m.exact === undefined && m.regex === undefined && !m.prefix ? undefined : toStringMatch(m));

const byName = <T>(record: Record<string, T> | undefined) => Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function headerMatches(m: HTTPMatchRequest): HeaderMatchIR[] {
  const present = byName(m.headers).map(([name, v]): HeaderMatchIR => {
    const match = presence(v);
    return { name, ...(match ? { match } : {}) };
  });
  const absent = byName(m.withoutHeaders).map(([name, v]): HeaderMatchIR => {
    const match = presence(v);
    return { name, ...(match ? { match } : {}), invert: true };
  });
  return [...present, ...absent];
}

function toMatchIR(m: HTTPMatchRequest): RouteMatchIR {
  const queryParams = byName(m.queryParams).map(([name, v]): QueryParamMatchIR => {
    const match = presence(v);
    return { name, ...(match ? { match } : {}) };
  });
  return {
    ...(m.uri ? { uri: toStringMatch(m.uri) } : {}),
    ...(m.ignoreUriCase ? { ignoreUriCase: true } : {}),
    headers: headerMatches(m),
    ...(m.method ? { method: toStringMatch(m.method) } : {}),
    ...(queryParams.length ? { queryParams } : {}),
  };
}

/**
 * The matches of a rule as rendered for one listener port (`contextPort`; `'any'` when only checking,
 * `undefined` on gateways). `undefined` means the rule has matches but none applies here, so it is
 * left out; an empty list means it catches everything.
 */
export function translateMatches(
  matches: HTTPMatchRequest[] | undefined,
  path: string,
  source: string,
  contextPort: number | undefined | 'any',
  diag: Diagnostics,
  selectors?: SourceSelectors,
  at?: string,
): RouteMatchIR[] | undefined {
  if (!matches?.length) return [];
  const kept: RouteMatchIR[] = [];
  matches.forEach((m, j) => {
    if (!matchAppliesAt(m, at)) return;
    if (m.port !== undefined) {
      if (contextPort === undefined) {
        diag.warn(source, `${path}.match[${j}].port`, 'on a Gateway, port is not narrowed to one server port yet: this match applies on every port of the gateway');
      } else if (typeof contextPort === 'number' && contextPort !== m.port) return;
    }
    // sourceLabels make the match depend on the proxy: views render it only where the labels match.
    // A check-only pass ('any') numbers nothing, so unused selectors never split views.
    const sourceSelector = m.sourceLabels !== undefined && selectors && contextPort !== 'any' ? selectors.indexOf(m.sourceLabels) : undefined;
    kept.push({ ...toMatchIR(m), ...(sourceSelector !== undefined ? { sourceSelector } : {}) });
  });
  return kept.length ? kept : undefined;
}

import { toProtoDuration } from '../intent/duration';
import type { VirtualServiceIntent } from '../intent/kinds';
import type { HTTPRoute } from '../intent/virtual-service';
import type { RetryIR, RouteIR, WeightedClusterIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { resolveDestination } from './resolve-destination';
import { translateMatches } from './route-matches';
import { mergeHeaders, translateHeaders, translateRouteParts } from './route-parts';
import type { RouteContext } from './route-context';
import { checkShadowedRoutes } from './shadowed-routes';

/** Istio's retry policy when a route sets none. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
const DEFAULT_ATTEMPTS = 2;

/** Istio's retries: HTTP status codes in retryOn become Envoy's retriable_status_codes. */
function translateRetry(retries: HTTPRoute['retries']): RetryIR | undefined {
  const attempts = retries ? retries.attempts : DEFAULT_ATTEMPTS;
  if (attempts <= 0) return undefined;
  const tokens = (retries?.retryOn ?? DEFAULT_RETRY_ON).split(',').map((t) => t.trim());
  const codes = tokens.filter((t) => /^\d{3}$/.test(t)).map(Number);
  const policies = tokens.filter((t) => !/^\d{3}$/.test(t));
  if (codes.length && !policies.includes('retriable-status-codes')) policies.push('retriable-status-codes');
  return {
    attempts,
    retryOn: policies.join(','),
    ...(codes.length ? { retriableStatusCodes: codes } : {}),
    ...(retries?.perTryTimeout ? { perTryTimeout: toProtoDuration(retries.perTryTimeout) } : {}),
  };
}

/** Warnings about rules whose meaning is easy to get wrong; reported once per rule. */
function checkRule(rule: HTTPRoute, path: string, source: string, diag: Diagnostics): void {
  const fault = rule.fault;
  if (fault?.delay && !fault.delay.percentage && fault.delay.percent === undefined) diag.warn(source, `${path}.fault.delay.percentage`, 'missing: as in Istio, no request is delayed; set percentage.value (e.g. 100)');
  if (fault?.delay?.percentage && fault.delay.percent !== undefined) diag.warn(source, `${path}.fault.delay.percent`, 'ignored: percentage is set and wins, as in Istio (percent is its deprecated integer form)');
  if (fault?.abort && !fault.abort.percentage) diag.warn(source, `${path}.fault.abort.percentage`, 'missing: as in Istio, no request is aborted; set percentage.value (e.g. 100)');
  if (rule.redirect || rule.directResponse) {
    diag.warn(source, `${path}.${rule.redirect ? 'redirect' : 'directResponse'}`, 'proxyless gRPC clients cannot follow a redirect or take a direct response: they do not get this rule, and their calls go on to the next one');
  }
}

/**
 * The HTTP routes of a VirtualService as seen from one port: `contextPort` is the port of the
 * listener being built (mesh) and picks the destination port when the rule does not name one;
 * `'any'` checks only what holds on every port. `at` is `mesh` or the Gateway being built (undefined:
 * checks only). Rules with a broken destination are reported and left out; so are rules none of whose
 * matches applies on this port or at this gateway.
 */
export function translateHttpRoutes(vs: VirtualServiceIntent, source: string, contextPort: number | undefined | 'any', ctx: RouteContext, at?: string): RouteIR[] {
  const routes: RouteIR[] = [];
  const rules = vs.spec.http ?? [];
  checkShadowedRoutes(rules, source, ctx.diag);
  rules.forEach((rule, i) => {
    const path = `spec.http[${i}]`;
    checkRule(rule, path, source, ctx.diag);
    const dests = rule.route ?? [];
    const resolved = dests.map((d, j) => resolveDestination(d.destination, `${path}.route[${j}].destination`, source, contextPort, ctx));
    const parts = translateRouteParts(rule, path, source, contextPort, ctx);
    if (resolved.some((r) => r === undefined) || !parts) return;
    const matches = translateMatches(rule.match, path, source, contextPort, ctx.diag, ctx.selectors, at);
    if (!matches) return;
    const single = dests.length === 1;
    // Weights are relative (Istio); zero-weight destinations get no traffic and are left out, as Istio does.
    const destinations: WeightedClusterIR[] = dests
      .map((d, j) => {
        const headers = translateHeaders(d.headers);
        return { cluster: resolved[j]!, weight: single ? 1 : (d.weight ?? 0), ...(headers ? { headers } : {}) };
      })
      .filter((d) => d.weight > 0);
    // One destination is rendered as a plain cluster: its header operations join the route's (Istio).
    if (destinations.length === 1 && destinations[0]!.headers) {
      const headers = mergeHeaders(parts.headers, destinations[0]!.headers);
      if (headers) parts.headers = headers;
      delete destinations[0]!.headers;
    }
    const retry = parts.redirect || parts.directResponse ? undefined : translateRetry(rule.retries);
    routes.push({
      ...(rule.name ? { name: rule.name } : {}),
      matches,
      destinations,
      timeout: rule.timeout ? toProtoDuration(rule.timeout) : '0s',
      ...(retry ? { retry } : {}),
      ...parts,
      source,
      path,
    });
  });
  return routes;
}

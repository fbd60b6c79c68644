import { clusterName } from '../envoy/names';
import { toProtoDuration } from '../intent/duration';
import type { VirtualServiceIntent } from '../intent/kinds';
import type { StringMatch } from '../intent/virtual-service';
import type { RouteIR, RouteMatchIR, ServiceIR, StringMatchIR, WeightedClusterIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import type { DestinationPolicyIR } from './services';

/** Istio's retry policy when a route sets none. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
const DEFAULT_ATTEMPTS = 2;

export interface RouteContext {
  services: Map<string, ServiceIR>;
  policies: Map<string, DestinationPolicyIR>;
  diag: Diagnostics;
}

const toStringMatch = (m: StringMatch): StringMatchIR =>
  m.exact !== undefined ? { kind: 'exact', value: m.exact } : m.prefix !== undefined ? { kind: 'prefix', value: m.prefix } : { kind: 'regex', value: m.regex! };

/**
 * The HTTP routes of a VirtualService as seen from one port: `contextPort` is the port of the
 * listener being built (mesh) and picks the destination port when the rule does not name one;
 * `'any'` checks only what holds on every port. Rules with a broken destination are reported and
 * left out.
 */
export function translateHttpRoutes(vs: VirtualServiceIntent, source: string, contextPort: number | undefined | 'any', ctx: RouteContext): RouteIR[] {
  const routes: RouteIR[] = [];
  vs.spec.http.forEach((rule, i) => {
    const path = `spec.http[${i}]`;
    const resolved = rule.route.map((d, j) => resolveDestination(d.destination, `${path}.route[${j}].destination`, source, contextPort, ctx));
    if (resolved.some((r) => r === undefined)) return;
    const single = rule.route.length === 1;
    // Weights are relative (Istio); zero-weight destinations get no traffic and are left out, as Istio does.
    const destinations: WeightedClusterIR[] = rule.route
      .map((d, j) => ({ cluster: resolved[j]!, weight: single ? 1 : (d.weight ?? 0) }))
      .filter((d) => d.weight > 0);
    const retries = rule.retries;
    const attempts = retries ? retries.attempts : DEFAULT_ATTEMPTS;
    routes.push({
      ...(rule.name ? { name: rule.name } : {}),
      matches: (rule.match ?? []).map(
        (m): RouteMatchIR => ({
          ...(m.uri ? { uri: toStringMatch(m.uri) } : {}),
          headers: Object.entries(m.headers ?? {})
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, match]) => ({ name, match: toStringMatch(match) })),
          ...(m.method ? { method: toStringMatch(m.method) } : {}),
        }),
      ),
      destinations,
      timeout: rule.timeout ? toProtoDuration(rule.timeout) : '0s',
      ...(attempts > 0
        ? {
            retry: {
              attempts,
              retryOn: retries?.retryOn ?? DEFAULT_RETRY_ON,
              ...(retries?.perTryTimeout ? { perTryTimeout: toProtoDuration(retries.perTryTimeout) } : {}),
            },
          }
        : {}),
      source,
      path,
    });
  });
  return routes;
}

function resolveDestination(
  dest: { host: string; subset?: string | undefined; port?: { number: number } | undefined },
  path: string,
  source: string,
  contextPort: number | undefined | 'any',
  { services, policies, diag }: RouteContext,
): string | undefined {
  const svc = services.get(dest.host);
  if (!svc) {
    diag.error(source, `${path}.host`, `no ServiceEntry declares host ${dest.host}`);
    return undefined;
  }
  const numbers = svc.ports.map((p) => p.number);
  let port = dest.port?.number;
  if (port !== undefined && !numbers.includes(port)) {
    diag.error(source, `${path}.port.number`, `host ${dest.host} has no port ${port} (ports: ${numbers.join(', ')})`);
    return undefined;
  }
  port ??= typeof contextPort === 'number' && numbers.includes(contextPort) ? contextPort : numbers.length === 1 || contextPort === 'any' ? numbers[0] : undefined;
  if (port === undefined) {
    diag.error(source, `${path}.port`, `required: host ${dest.host} has several ports (${numbers.join(', ')})`);
    return undefined;
  }
  if (dest.subset !== undefined && !policies.get(dest.host)?.subsets.has(dest.subset)) {
    const rule = policies.get(dest.host);
    diag.error(
      source,
      `${path}.subset`,
      rule ? `subset ${dest.subset} is not defined by ${rule.source}` : `subset ${dest.subset} is not defined: no DestinationRule for host ${dest.host}`,
    );
    return undefined;
  }
  return clusterName(port, dest.subset ?? '', dest.host);
}

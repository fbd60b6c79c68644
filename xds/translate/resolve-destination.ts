import { clusterName } from '../envoy/names';
import type { RouteContext } from './route-context';

/**
 * The cluster a VirtualService destination names as seen from `contextPort` (see translateHttpRoutes),
 * or `undefined` after reporting why it has none.
 */
export function resolveDestination(
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

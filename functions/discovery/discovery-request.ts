import { nodeInfoFromRequest, type NodeInfo } from '../../xds';
import { badRequest } from '../http/problem';

/** The parts of a DiscoveryRequest the REST path uses, from Envoy's snake_case or camelCase JSON. */
export interface RestDiscoveryRequest {
  versionInfo: string;
  /** Sorted and de-duplicated; empty for a wildcard (CDS/LDS) request. */
  resourceNames: string[];
  node: NodeInfo;
  /** node.metadata.xds_token, the poller's credential when it cannot send headers (Envoy cannot). */
  token?: string;
}

type Loose = Record<string, unknown>;

const pick = (body: Loose, snake: string, camel: string) => (snake in body ? [snake, body[snake]] : [camel, body[camel]]) as [string, unknown];

export function parseDiscoveryRequest(text: string): RestDiscoveryRequest {
  let body: unknown;
  try {
    body = text.trim() ? JSON.parse(text) : {};
  } catch (err) {
    throw badRequest(`the request body is not JSON: ${(err as Error).message}`, [{ path: '', message: 'expected a JSON DiscoveryRequest' }]);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be a JSON object (a DiscoveryRequest)', [{ path: '', message: 'expected an object' }]);
  const b = body as Loose;

  const [versionField, version] = pick(b, 'version_info', 'versionInfo');
  if (version !== undefined && typeof version !== 'string') throw badRequest(`${versionField} must be a string`, [{ path: versionField, message: 'expected a string' }]);
  const [namesField, names] = pick(b, 'resource_names', 'resourceNames');
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
    throw badRequest(`${namesField} must be a list of strings`, [{ path: namesField, message: 'expected an array of strings' }]);
  }
  const node = b.node;
  if (node !== undefined && (typeof node !== 'object' || node === null || Array.isArray(node))) throw badRequest('node must be an object', [{ path: 'node', message: 'expected an object' }]);
  const metadata = ((node as Loose | undefined)?.metadata ?? {}) as Loose;
  const token = typeof metadata.xds_token === 'string' ? metadata.xds_token : undefined;

  return {
    versionInfo: (version as string | undefined) ?? '',
    resourceNames: [...new Set((names as string[] | undefined) ?? [])].sort(),
    node: nodeInfoFromRequest(node),
    ...(token ? { token } : {}),
  };
}

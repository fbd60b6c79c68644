import type { NodeInfo } from './types';

type Loose = Record<string, unknown>;

const asObject = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObject(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** DiscoveryRequest.node (snake_case as Envoy sends it, or camelCase) → what views and status need. */
export function nodeInfoFromRequest(node: unknown): NodeInfo {
  const n = asObject(node);
  const metadata = asObject(n.metadata);
  const userAgentName = asString(n.user_agent_name ?? n.userAgentName);
  const cluster = asString(n.cluster);
  return {
    id: asString(n.id) ?? '',
    ...(cluster ? { cluster } : {}),
    ...(userAgentName ? { userAgentName } : {}),
    // Istio's proxies send LABELS; ours and most others send labels.
    labels: { ...stringMap(metadata.LABELS), ...stringMap(metadata.labels) },
  };
}

import type { LocalityInfo, NodeInfo } from './view-types';

type Loose = Record<string, unknown>;

const asObject = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObject(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** node.locality (snake_case or camelCase sub-zone); undefined when it names nothing. */
function localityOf(v: unknown): LocalityInfo | undefined {
  const l = asObject(v);
  const parts = { region: asString(l.region), zone: asString(l.zone), subZone: asString(l.sub_zone ?? l.subZone) };
  const set = Object.fromEntries(Object.entries(parts).filter(([, p]) => p)) as LocalityInfo;
  return Object.keys(set).length ? set : undefined;
}

/** DiscoveryRequest.node (snake_case as Envoy sends it, or camelCase) → what views and status need. */
export function nodeInfoFromRequest(node: unknown): NodeInfo {
  const n = asObject(node);
  const metadata = asObject(n.metadata);
  const userAgentName = asString(n.user_agent_name ?? n.userAgentName);
  const userAgentVersion = asString(n.user_agent_version ?? n.userAgentVersion);
  const cluster = asString(n.cluster);
  // Istio's proxies send NAMESPACE; a proxy without one sees only objects exported everywhere.
  const namespace = asString(metadata.NAMESPACE) || asString(metadata.namespace);
  const locality = localityOf(n.locality);
  return {
    id: asString(n.id) ?? '',
    ...(cluster ? { cluster } : {}),
    ...(userAgentName ? { userAgentName } : {}),
    ...(userAgentVersion ? { userAgentVersion } : {}),
    // Istio's proxies send LABELS; ours and most others send labels.
    labels: { ...stringMap(metadata.LABELS), ...stringMap(metadata.labels) },
    ...(namespace ? { namespace } : {}),
    ...(locality ? { locality } : {}),
  };
}

import { capabilityProfile, clientIdentity, grpcCapabilities } from '../clients/capabilities';
import { isGrpcClient } from '../ir/view';
import type { LocalityInfo, NodeInfo } from '../ir/view-types';
import type { BridgeNode } from './schemas';

/**
 * Proxies with the same client kind, labels, namespace and locality see the same config, so a
 * bridge fetches per node class (and the edge folds classes into views), never per proxy.
 */
export interface NodeClass {
  key: string;
  /** As the edge's bulk endpoint takes it. */
  node: BridgeNode & { user_agent_name: string; labels: Record<string, string> };
  /**
   * gRPC clients that need their view rendered differently (xds/clients capabilityProfile), e.g.
   * `legacy-header-matchers`. The edge never sees it: the bridge adapts the class's view itself.
   */
  profile?: string;
}

const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The class of a proxy. With `labelKeys` (the labels the edge says views depend on: viewLabelKeys),
 * only those labels count, so proxies differing in irrelevant labels (a StatefulSet pod's own name)
 * share a class. Every gRPC client is one kind, as selectView sees them; gRPC clients that accept
 * different resources (capabilityProfile) are different classes of the same view. With `identity` (what
 * the bridge authenticated the proxy as), proxies of different identities are different classes.
 */
export function nodeClassOf(node: NodeInfo, labelKeys?: readonly string[], identity?: string): NodeClass {
  const grpc = isGrpcClient(node);
  const relevant = labelKeys ? Object.entries(node.labels).filter(([k]) => labelKeys.includes(k)) : Object.entries(node.labels);
  const labels = Object.fromEntries(relevant.sort(byKey));
  const { region, zone, subZone } = node.locality ?? {};
  const locality = { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) };
  // The authenticated identity is part of the class: the edge judges each identity's claims apart.
  const where = { ...(node.namespace ? { namespace: node.namespace } : {}), ...(Object.keys(locality).length ? { locality } : {}), ...(identity ? { identity } : {}) };
  // Keys of classes without namespace, locality or profile are as before, so a bridge's state file stays valid.
  const extra = Object.keys(where).length ? `|${JSON.stringify(where)}` : '';
  const profile = grpc ? capabilityProfile(grpcCapabilities(clientIdentity(node.userAgentName, node.userAgentVersion))) : '';
  return {
    key: `${grpc ? 'grpc' : 'envoy'}|${JSON.stringify(labels)}${extra}${profile ? `|~${profile}` : ''}`,
    node: { user_agent_name: grpc ? 'gRPC' : 'envoy', labels, ...where },
    ...(profile ? { profile } : {}),
  };
}

/** A node class as the edge's view selector sees a node (the inverse of nodeClassOf's `node`). */
export function nodeInfoOfClass(n: BridgeNode): NodeInfo {
  const { region, zone, sub_zone: subZone } = n.locality ?? {};
  const locality: LocalityInfo = { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
  return {
    id: '',
    labels: n.labels ?? {},
    ...(n.user_agent_name ? { userAgentName: n.user_agent_name } : {}),
    ...(n.namespace ? { namespace: n.namespace } : {}),
    ...(Object.keys(locality).length ? { locality } : {}),
  };
}

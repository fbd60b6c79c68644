import type { ClusterIR } from './types';

/**
 * Clusters that send each connection to the address its caller dialled (Envoy ORIGINAL_DST): a
 * ServiceEntry with resolution NONE, or a DestinationRule's `loadBalancer.simple: PASSTHROUGH`, as in
 * Istio. They have no endpoints of their own, and proxyless gRPC clients cannot use them.
 */
export const usesOriginalDestination = (cluster: Pick<ClusterIR, 'resolution' | 'lbPolicy'>) => cluster.resolution === 'NONE' || cluster.lbPolicy === 'PASSTHROUGH';

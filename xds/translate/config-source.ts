import type { Subscriber } from '../snapshot/types';

/**
 * Where a resource's EDS/RDS comes from: back to the REST poller's own xDS cluster (Envoy sends that
 * name as the Host of every poll), or the ADS stream for the bridge's clients.
 */
export function configSource(subscriber: Subscriber): Record<string, unknown> {
  if (subscriber.mode === 'ads') return { ads: {}, resource_api_version: 'V3' };
  return {
    api_config_source: {
      api_type: 'REST',
      transport_api_version: 'V3',
      cluster_names: [subscriber.xdsCluster],
      refresh_delay: subscriber.refreshDelay,
    },
    resource_api_version: 'V3',
  };
}

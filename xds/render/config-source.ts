import { pathConfigSource, type NamedFileType } from '../envoy/file-paths';
import type { Subscriber } from '../ir/view-types';

/**
 * Where a resource's EDS/RDS/SDS comes from: back to the REST poller's own xDS cluster (Envoy sends
 * that name as the Host of every poll), the ADS stream for the bridge's clients, or the one file
 * holding `name` for a filesystem subscription (which is why the type and name are passed).
 */
export function configSource(subscriber: Subscriber, type: NamedFileType, name: string): Record<string, unknown> {
  if (subscriber.mode === 'ads') return { ads: {}, resource_api_version: 'V3' };
  if (subscriber.mode === 'file') return pathConfigSource(subscriber.dir, type, name);
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

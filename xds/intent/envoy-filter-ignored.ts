import type { EnvoyConfigObjectPatch } from './envoy-filter-patch';
import { FILTER_TARGETS } from './envoy-filter-targets';

export interface IgnoredField {
  /** Under the `configPatches[i]` entry. */
  path: string;
  message: string;
}

const set = (v: unknown) => v !== undefined && v !== '' && v !== 0;
const anySet = (o: Record<string, unknown> | undefined) => o !== undefined && Object.values(o).some(set);

/**
 * The fields of a valid patch that Istio accepts and then ignores, as its patching code reads them:
 * each becomes a warning, so a manifest written for Istio applies here unchanged and its author
 * learns what has no effect.
 */
export function ignoredFields(cp: EnvoyConfigObjectPatch): IgnoredField[] {
  const out: IgnoredField[] = [];
  const ignored = (path: string, why: string) => out.push({ path, message: `has no effect: ${why} (as in Istio)` });
  const { applyTo, match = {} } = cp;
  const op = cp.patch.operation;
  const { cluster, listener, routeConfiguration } = match;
  const vhost = routeConfiguration?.vhost;
  const positional = op === 'ADD' || op === 'INSERT_FIRST';

  if (match.context === 'SIDECAR_INBOUND') out.push({ path: 'match.context', message: 'SIDECAR_INBOUND reaches nothing here: this control plane renders no inbound listeners, clusters or routes (a proxy\'s inbound side is its own), so the patch is stored and its value checked, but applies to no proxy' });

  if (applyTo === 'CLUSTER' && op === 'ADD' && anySet(cluster)) ignored('match.cluster', 'ADD adds the cluster to every proxy the context selects');
  else if (set(cluster?.name) && (set(cluster?.service) || set(cluster?.subset) || set(cluster?.portNumber))) ignored('match.cluster', 'with name set only the name is compared; service, subset and portNumber are not');

  if (listener) {
    if (applyTo === 'LISTENER' && op === 'ADD' && anySet(listener)) ignored('match.listener', 'ADD adds the listener to every proxy the context selects');
    if ((applyTo === 'LISTENER' || applyTo === 'LISTENER_FILTER') && listener.filterChain !== undefined) ignored('match.listener.filterChain', `a ${applyTo} patch matches the listener by name and port only`);
    if (applyTo !== 'LISTENER_FILTER' && set(listener.listenerFilter)) ignored('match.listener.listenerFilter', 'it selects listener filters, for LISTENER_FILTER patches');
    if (applyTo === 'LISTENER_FILTER' && positional && set(listener.listenerFilter)) ignored('match.listener.listenerFilter', `${op} places the listener filter ${op === 'ADD' ? 'last' : 'first'} whatever it names`);
    const filter = listener.filterChain?.filter;
    if (applyTo === 'NETWORK_FILTER' && op === 'INSERT_FIRST' && filter !== undefined) ignored('match.listener.filterChain.filter', 'INSERT_FIRST places the network filter first whatever it names');
    if (applyTo === 'HTTP_FILTER' && positional && filter?.subFilter !== undefined) ignored('match.listener.filterChain.filter.subFilter', `${op} places the HTTP filter by position (${op === 'ADD' ? 'last before the router' : 'first'}); use INSERT_BEFORE or INSERT_AFTER to place it next to a filter`);
  }

  if (vhost !== undefined) {
    if (applyTo === 'ROUTE_CONFIGURATION') ignored('match.routeConfiguration.vhost', 'a ROUTE_CONFIGURATION patch matches the route configuration alone');
    if (applyTo === 'VIRTUAL_HOST' && op === 'ADD') ignored('match.routeConfiguration.vhost', 'ADD adds the virtual host to every matched route configuration');
    else if (applyTo === 'VIRTUAL_HOST' && vhost.route !== undefined) ignored('match.routeConfiguration.vhost.route', 'a VIRTUAL_HOST patch applies to every matched virtual host whatever its routes');
    if (applyTo === 'HTTP_ROUTE' && op === 'ADD' && vhost.route !== undefined) ignored('match.routeConfiguration.vhost.route', 'ADD appends the route to every matched virtual host');
  }

  const value = cp.patch.value;
  // Istio's MERGE of a cluster with a transport_socket changes the socket alone.
  if (applyTo === 'CLUSTER' && op === 'MERGE' && value?.transport_socket !== undefined) {
    for (const key of Object.keys(value).filter((k) => k !== 'transport_socket')) ignored(`patch.value.${key}`, 'a cluster MERGE with a transport_socket merges the socket alone');
  }
  // Istio's MERGE of a filter takes its typed_config (and name) only.
  if (op === 'MERGE' && FILTER_TARGETS.includes(applyTo) && value) {
    for (const key of Object.keys(value).filter((k) => k !== 'name' && k !== 'typed_config')) ignored(`patch.value.${key}`, 'a MERGE of a filter merges its typed_config alone');
  }
  return out;
}

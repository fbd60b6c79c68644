import { localityLabelIndex, splitPriorityLabel, type LocalityLbSetting } from '../intent/locality-lb';
import type { ClusterEndpointIR, ClusterIR, LocalityLbIR, ServiceIR } from '../ir/types';

/** What a localityLbSetting does for a cluster: nothing when disabled, and failover only with outlier detection (Istio). */
export function localityLbIR(setting: LocalityLbSetting, hasOutlierDetection: boolean): LocalityLbIR | undefined {
  if (setting.enabled === false) return undefined;
  if (setting.distribute) return { distribute: setting.distribute.map((d) => ({ from: d.from, to: Object.entries(d.to) })) };
  if (!hasOutlierDetection) return undefined;
  const failover = (setting.failover ?? []).map((f) => ({ from: f.from, to: f.to }));
  // Istio: failoverPriority alone replaces the default priorities by locality; with failover, both apply.
  if (setting.failoverPriority?.length) return { failoverPriority: [...setting.failoverPriority], ...(failover.length ? { failover } : {}) };
  return { failover };
}

/** The keys of failoverPriority entries an endpoint's labels are read for (not locality ones). */
const endpointLabelKeys = (lb: LocalityLbIR | undefined) => (lb?.failoverPriority ?? []).map((e) => splitPriorityLabel(e).key).filter((k) => localityLabelIndex(k) < 0);

/** The keys whose proxy values a view must carry: ordinary labels without a `=value` of their own. */
function proxyLabelKeys(lb: LocalityLbIR | undefined): string[] {
  return (lb?.failoverPriority ?? []).map(splitPriorityLabel).filter((e) => e.value === undefined && localityLabelIndex(e.key) < 0).map((e) => e.key);
}

/** Label keys some cluster's failoverPriority compares with the proxy's labels; undefined when none. */
export function priorityLabelKeysOf(clusters: ClusterIR[]): string[] | undefined {
  const keys = new Set(clusters.flatMap((c) => proxyLabelKeys(c.localityLb)));
  return keys.size ? [...keys].sort() : undefined;
}

/**
 * Copies onto the endpoints of clusters with failoverPriority the labels it compares (only those, so
 * other clusters' IR stays as it was). A cluster's endpoints are its service's, filtered by its subset's
 * labels, in order (see buildClusterIRs).
 */
export function attachPriorityLabels(clusters: ClusterIR[], services: Map<string, ServiceIR>, subsetLabels: (host: string, subset: string) => Record<string, string> | undefined): void {
  for (const c of clusters) {
    const keys = endpointLabelKeys(c.localityLb);
    const svc = services.get(c.host);
    if (!keys.length || !svc) continue;
    const selector = c.subset ? (subsetLabels(c.host, c.subset) ?? {}) : {};
    const source = svc.endpoints.filter((ep) => Object.entries(selector).every(([k, v]) => ep.labels[k] === v));
    if (source.length !== c.endpoints.length) continue;
    c.endpoints = c.endpoints.map((ep, i) => {
      const labels = Object.fromEntries(keys.flatMap((k) => (source[i]!.labels[k] !== undefined ? [[k, source[i]!.labels[k]!]] : [])));
      return Object.keys(labels).length ? { ...ep, labels } : ep;
    });
  }
}

/** Parts of a pattern that name something (a trailing `*` matches anything). */
const patternDepth = (pattern: string) => pattern.split('/').filter((p) => p !== '*').length;
const endpointDepth = (locality: string | undefined) => (locality ? locality.split('/').filter(Boolean).length : 0);

/**
 * How many parts of a proxy's locality matter: distribute compares it with its `from` patterns;
 * failover compares it with the endpoints' localities, so parts no endpoint has never change the
 * order of priorities. Undefined when no cluster uses locality load balancing.
 */
export function localityDepthOf(clusters: ClusterIR[]): number | undefined {
  let depth: number | undefined;
  for (const c of clusters) {
    const lb = c.localityLb;
    if (!lb) continue;
    // failoverPriority reads the proxy's region, zone or sub-zone for the locality labels it lists
    // without a value of their own; failover (alone or with it) compares whole localities.
    const priorityNeed = Math.max(0, ...(lb.failoverPriority ?? []).map(splitPriorityLabel).filter((e) => e.value === undefined).map((e) => localityLabelIndex(e.key) + 1));
    const need = lb.distribute
      ? Math.max(0, ...lb.distribute.map((d) => patternDepth(d.from)))
      : lb.failoverPriority && !lb.failover
        ? priorityNeed
        : Math.max(priorityNeed, lb.failover?.length ? 1 : 0, ...c.endpoints.map((ep) => endpointDepth(ep.locality)));
    depth = Math.max(depth ?? 0, need);
  }
  return depth;
}

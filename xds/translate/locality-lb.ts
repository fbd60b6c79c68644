import { LOCALITY_LABEL_KEYS, splitPriorityLabel, type LocalityLbSetting } from '../intent/locality-lb';
import type { ClusterEndpointIR, ClusterIR, LocalityLbIR, ServiceIR } from '../ir/types';
import type { View } from '../render/types';

type Json = Record<string, any>;

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

/** 0 for region, 1 zone, 2 sub-zone; -1 for an ordinary label (Istio reads those three from the locality). */
const localityIndex = (key: string) => (LOCALITY_LABEL_KEYS as readonly string[]).indexOf(key);

/** The keys of failoverPriority entries an endpoint's labels are read for (not locality ones). */
const endpointLabelKeys = (lb: LocalityLbIR | undefined) => (lb?.failoverPriority ?? []).map((e) => splitPriorityLabel(e).key).filter((k) => localityIndex(k) < 0);

/** The keys whose proxy values a view must carry: ordinary labels without a `=value` of their own. */
function proxyLabelKeys(lb: LocalityLbIR | undefined): string[] {
  return (lb?.failoverPriority ?? []).map(splitPriorityLabel).filter((e) => e.value === undefined && localityIndex(e.key) < 0).map((e) => e.key);
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

/**
 * Istio's applyPriorityFailoverPerLocality, per endpoint: 0 when it agrees with the proxy on every
 * listed label, else (number of labels − index of the first that differs). Locality labels compare the
 * endpoint's locality with the proxy's (the view's), `key=value` compares with that value; a missing
 * label is empty on either side.
 */
export function labelPriorityOf(entries: string[], view: Pick<View, 'locality' | 'labels'>): (ep: ClusterEndpointIR) => number {
  const parsed = entries.map(splitPriorityLabel).map((e) => {
    const i = localityIndex(e.key);
    const proxy = e.value ?? (i >= 0 ? (view.locality?.[i] ?? '') : (view.labels?.[e.key] ?? ''));
    return { key: e.key, i, proxy };
  });
  return (ep) => {
    const parts = (ep.locality ?? '').split('/');
    const j = parsed.findIndex((e) => e.proxy !== (e.i >= 0 ? (parts[e.i] ?? '') : (ep.labels?.[e.key] ?? '')));
    return j < 0 ? 0 : parsed.length - j;
  };
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
    const priorityNeed = Math.max(0, ...(lb.failoverPriority ?? []).map(splitPriorityLabel).filter((e) => e.value === undefined).map((e) => localityIndex(e.key) + 1));
    const need = lb.distribute
      ? Math.max(0, ...lb.distribute.map((d) => patternDepth(d.from)))
      : lb.failoverPriority && !lb.failover
        ? priorityNeed
        : Math.max(priorityNeed, lb.failover?.length ? 1 : 0, ...c.endpoints.map((ep) => endpointDepth(ep.locality)));
    depth = Math.max(depth ?? 0, need);
  }
  return depth;
}

const partsOf = (l: Json | undefined): string[] => [l?.region ?? '', l?.zone ?? '', l?.sub_zone ?? ''];

/** Istio's LocalityMatch: an empty or `*` part of the pattern matches anything. */
function localityMatches(locality: string[], pattern: string): boolean {
  const want = pattern.split('/');
  return [0, 1, 2].every((i) => want[i] === undefined || want[i] === '' || want[i] === '*' || (locality[i] ?? '') === want[i]);
}

/** Istio's LbPriority: 0 same sub-zone, 1 same zone, 2 same region, 3 elsewhere. */
function lbPriority(proxy: string[], ep: string[]): number {
  for (let i = 0; i < 3; i++) if ((proxy[i] ?? '') !== ep[i]) return 3 - i;
  return 0;
}

/** Istio's applyLocalityWeights: the first `from` matching the proxy shares traffic by `to`; localities no `to` names get none. */
function distribute(localities: Json[], rules: NonNullable<LocalityLbIR['distribute']>, proxy: string[]): Json[] {
  const rule = rules.find((r) => localityMatches(proxy, r.from));
  if (!rule) return localities;
  const out = new Map<Json, Json>();
  for (const [pattern, weight] of rule.to) {
    const members = localities.filter((l) => !out.has(l) && localityMatches(partsOf(l.locality), pattern));
    const total = members.reduce((sum, l) => sum + l.load_balancing_weight, 0);
    // A pattern matching several localities splits its share by their own weights (Istio rounds up).
    for (const l of members) out.set(l, { ...l, load_balancing_weight: Math.max(1, Math.ceil((l.load_balancing_weight * weight) / total)) });
  }
  return localities.filter((l) => out.has(l)).map((l) => out.get(l)!);
}

/** Priorities made consecutive from 0, in their order (Envoy and gRPC want no gaps). */
function compact(localities: Json[], priorities: number[]): Json[] {
  const order = [...new Set(priorities)].sort((a, b) => a - b);
  return localities.map((l, i) => {
    const { priority: _, ...rest } = l;
    const priority = order.indexOf(priorities[i]!);
    return priority ? { ...rest, priority } : rest;
  });
}

/** Istio's applyLocalityFailover: priorities by nearness to the proxy, a failover region next, then compacted to 0..N. */
function localityPriority(l: Json, pairs: NonNullable<LocalityLbIR['failover']>, proxy: string[]): number {
  const ep = partsOf(l.locality);
  let p = lbPriority(proxy, ep);
  const pair = p === 3 ? pairs.find((f) => f.from === (proxy[0] ?? '')) : undefined;
  if (pair && ep[0] !== pair.to) p = 4;
  return p;
}

function failover(localities: Json[], pairs: NonNullable<LocalityLbIR['failover']>, proxy: string[]): Json[] {
  return compact(localities, localities.map((l) => localityPriority(l, pairs, proxy)));
}

/**
 * failoverPriority: the localities come split by label priority (see buildLoadAssignment). With
 * failover too, Istio ranks by label priority first and locality second (label priority × 5 + 0..4).
 */
function priorityFailover(localities: Json[], pairs: LocalityLbIR['failover'], proxy: string[]): Json[] {
  return compact(localities, localities.map((l) => (l.priority ?? 0) * (pairs ? 5 : 1) + (pairs ? localityPriority(l, pairs, proxy) : 0)));
}

/** A load assignment's localities as one proxy's locality sees them (`proxy`: region, zone, sub-zone as far as the view knows). */
export function applyLocalityLb(assignment: Json, lb: LocalityLbIR | undefined, proxy: string[]): Json {
  if (!lb) return assignment;
  const endpoints = lb.distribute
    ? distribute(assignment.endpoints, lb.distribute, proxy)
    : lb.failoverPriority
      ? priorityFailover(assignment.endpoints, lb.failover, proxy)
      : failover(assignment.endpoints, lb.failover ?? [], proxy);
  return { ...assignment, endpoints };
}

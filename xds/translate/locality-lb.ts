import type { LocalityLbSetting } from '../intent/locality-lb';
import type { ClusterIR, LocalityLbIR } from '../ir/types';

type Json = Record<string, any>;

/** What a localityLbSetting does for a cluster: nothing when disabled, and failover only with outlier detection (Istio). */
export function localityLbIR(setting: LocalityLbSetting, hasOutlierDetection: boolean): LocalityLbIR | undefined {
  if (setting.enabled === false) return undefined;
  if (setting.distribute) return { distribute: setting.distribute.map((d) => ({ from: d.from, to: Object.entries(d.to) })) };
  return hasOutlierDetection ? { failover: (setting.failover ?? []).map((f) => ({ from: f.from, to: f.to })) } : undefined;
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
    const need = lb.distribute
      ? Math.max(0, ...lb.distribute.map((d) => patternDepth(d.from)))
      : Math.max(lb.failover?.length ? 1 : 0, ...c.endpoints.map((ep) => endpointDepth(ep.locality)));
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

/** Istio's applyLocalityFailover: priorities by nearness to the proxy, a failover region next, then compacted to 0..N. */
function failover(localities: Json[], pairs: NonNullable<LocalityLbIR['failover']>, proxy: string[]): Json[] {
  const priorities = localities.map((l) => {
    const ep = partsOf(l.locality);
    let p = lbPriority(proxy, ep);
    const pair = p === 3 ? pairs.find((f) => f.from === (proxy[0] ?? '')) : undefined;
    if (pair && ep[0] !== pair.to) p = 4;
    return p;
  });
  const order = [...new Set(priorities)].sort((a, b) => a - b);
  return localities.map((l, i) => {
    const priority = order.indexOf(priorities[i]!);
    return priority ? { ...l, priority } : l;
  });
}

/** A load assignment's localities as one proxy's locality sees them (`proxy`: region, zone, sub-zone as far as the view knows). */
export function applyLocalityLb(assignment: Json, lb: LocalityLbIR | undefined, proxy: string[]): Json {
  if (!lb) return assignment;
  const endpoints = lb.distribute ? distribute(assignment.endpoints, lb.distribute, proxy) : failover(assignment.endpoints, lb.failover ?? [], proxy);
  return { ...assignment, endpoints };
}

/** localityLbSetting at render time: a view's load assignments ordered and weighted relative to its proxies' locality and labels. */

import { localityLabelIndex, splitPriorityLabel } from '../intent/locality-lb';
import type { ClusterEndpointIR, LocalityLbIR } from '../ir/types';
import type { View } from '../ir/view-types';

type Json = Record<string, any>;

/**
 * Istio's applyPriorityFailoverPerLocality, per endpoint: 0 when it agrees with the proxy on every
 * listed label, else (number of labels − index of the first that differs). Locality labels compare the
 * endpoint's locality with the proxy's (the view's), `key=value` compares with that value; a missing
 * label is empty on either side.
 */
export function labelPriorityOf(entries: string[], view: Pick<View, 'locality' | 'labels'>): (ep: ClusterEndpointIR) => number {
  const parsed = entries.map(splitPriorityLabel).map((e) => {
    const i = localityLabelIndex(e.key);
    const proxy = e.value ?? (i >= 0 ? (view.locality?.[i] ?? '') : (view.labels?.[e.key] ?? ''));
    return { key: e.key, i, proxy };
  });
  return (ep) => {
    const parts = (ep.locality ?? '').split('/');
    const j = parsed.findIndex((e) => e.proxy !== (e.i >= 0 ? (parts[e.i] ?? '') : (ep.labels?.[e.key] ?? '')));
    return j < 0 ? 0 : parsed.length - j;
  };
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

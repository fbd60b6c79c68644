import type { ServiceIR } from '../ir/types';
import { ROOT_NAMESPACE, type RuleGroup, type RuleIndex } from './destination-rule-groups';
import { hostMatches } from './hosts';
import type { DestinationPolicyIR } from './services';

/*
 * Which DestinationRule a proxy gets for a host, as Istio's pilot picks it (istio/istio
 * pilot/pkg/model/push_context.go destinationRule, getExportedDestinationRuleFromNamespace;
 * sidecar.go SidecarScope.DestinationRule):
 * 1. the rules of the proxy's own namespace it sees (exportTo unset, `*`, `.` or naming it); for a proxy
 *    in the root namespace only the root's private ones (`.`);
 * 2. else the rules the host's namespace (its ServiceEntry's) exports to the proxy's namespace;
 * 3. else those the root namespace (istio-system) exports to it.
 * In each namespace the most specific host wins (the exact host, then the longest pattern: Istio's
 * MostSpecificHostMatch). A namespace that has a match ends the search in step 1 even when none of its
 * rules applies to the proxy (a workloadSelector its labels miss); in steps 2 and 3 the most specific
 * match is taken among all exported rules, and only then filtered by exportTo. Of the rules found, the
 * first whose workloadSelector (only rules of the proxy's namespace) its labels match wins, else the one
 * without selector. A proxy that sends no namespace is treated as one in a namespace no rule names.
 */

/** Whom a translation renders for: a proxy's namespace and the workloadSelectors (indices) its labels match. */
export interface RuleAudience {
  namespace?: string | undefined;
  selected?: ReadonlySet<number>;
}

const specificity = (pattern: string) => (pattern === '*' ? 0 : pattern.length);

/** The groups of `namespace` for the host's most specific match among `keep`ed ones. */
function mostSpecific(index: RuleIndex, namespace: string, host: string, keep: (g: RuleGroup) => boolean): RuleGroup[] {
  const hosts = index.byNamespace.get(namespace);
  if (!hosts) return [];
  const exact = (hosts.get(host) ?? []).filter(keep);
  if (exact.length) return exact;
  let best: RuleGroup[] = [];
  for (const [pattern, groups] of hosts) {
    if (pattern === host || !(pattern === '*' || pattern.startsWith('*.')) || !hostMatches(pattern, host)) continue;
    const kept = groups.filter(keep);
    if (kept.length && (!best.length || specificity(pattern) > specificity(best[0]!.host) || (specificity(pattern) === specificity(best[0]!.host) && pattern < best[0]!.host))) best = kept;
  }
  return best;
}

/** Istio's exportTo check, for a proxy in `namespace` (undefined: sees only rules exported everywhere). */
function visibleTo(g: RuleGroup, namespace: string | undefined): boolean {
  const exportTo = g.exportTo ?? [];
  if (!exportTo.length || exportTo.includes('*')) return true;
  return namespace !== undefined && (exportTo.includes(namespace) || (exportTo.includes('.') && g.namespace === namespace));
}

function pick(groups: RuleGroup[], audience: RuleAudience): RuleGroup | undefined {
  const selected = groups.find((g) => g.selector && g.namespace === audience.namespace && audience.selected?.has(g.selectorIndex!));
  return selected ?? groups.find((g) => !g.selector);
}

/** The rule a proxy of `audience` gets for `svc`, or undefined. */
export function ruleFor(index: RuleIndex, svc: ServiceIR, audience: RuleAudience): RuleGroup | undefined {
  const p = audience.namespace;
  if (p !== undefined) {
    const local = p === ROOT_NAMESPACE ? (g: RuleGroup) => g.private : (g: RuleGroup) => visibleTo(g, p);
    const found = mostSpecific(index, p, svc.host, local);
    if (found.length) return pick(found, audience);
  }
  for (const owner of [svc.namespace, ROOT_NAMESPACE]) {
    const found = mostSpecific(index, owner, svc.host, (g) => !g.private).filter((g) => visibleTo(g, p));
    if (found.length) return pick(found, audience);
  }
  return undefined;
}

/** Every workloadSelector combination a proxy's labels can match at once (closed: a union implying another includes it). */
export function selectorCombinations(selectors: Record<string, string>[], limit: number): number[][] | undefined {
  const combos: number[][] = [];
  const consistent = (labels: Record<string, string>, s: Record<string, string>) => Object.entries(s).every(([k, v]) => labels[k] === undefined || labels[k] === v);
  const implied = (labels: Record<string, string>) => selectors.flatMap((s, i) => (Object.entries(s).every(([k, v]) => labels[k] === v) ? [i] : []));
  const seen = new Set<string>();
  const visit = (from: number, labels: Record<string, string>) => {
    const set = implied(labels);
    const key = set.join(',');
    if (!seen.has(key)) {
      seen.add(key);
      combos.push(set);
    }
    for (let i = from; i < selectors.length && combos.length <= limit; i++) {
      if (!set.includes(i) && consistent(labels, selectors[i]!)) visit(i + 1, { ...labels, ...selectors[i] });
    }
  };
  visit(0, {});
  return combos.length > limit ? undefined : combos;
}

/**
 * The namespaces whose proxies get other rules than a proxy without namespace: their own rules (a
 * workloadSelector among them), or the root's private ones.
 */
export function ruleNamespaces(index: RuleIndex, services: Iterable<ServiceIR>): string[] {
  const list = [...services];
  const out: string[] = [];
  for (const ns of [...index.byNamespace.keys()].sort()) {
    if (index.selectors.has(ns) || list.some((svc) => ruleFor(index, svc, { namespace: ns }) !== ruleFor(index, svc, {}))) out.push(ns);
  }
  return out;
}

/** The policy of each declared host for `audience` (hosts without a rule are left out). */
export function policiesFor(index: RuleIndex, services: Map<string, ServiceIR>, audience: RuleAudience): Map<string, DestinationPolicyIR> {
  const policies = new Map<string, DestinationPolicyIR>();
  for (const svc of services.values()) {
    const g = ruleFor(index, svc, audience);
    if (g) policies.set(svc.host, g.policy);
  }
  return policies;
}

import { sourceRef } from '../envoy/names';
import type { DestinationRuleIntent } from '../intent/kinds';
import { ROOT_NAMESPACE } from '../ir/sidecar-select';
import type { Diagnostics } from './diagnostics';
import type { DestinationPolicyIR, SubsetIR } from './services';

/*
 * DestinationRules merged as Istio's pilot merges them (istio/istio pilot/pkg/model/push_context.go
 * setDestinationRules, destination_rule.go mergeDestinationRule, ENABLE_ENHANCED_DESTINATIONRULE_MERGE
 * on by default): rules of one namespace for one host (or pattern) with the same workloadSelector and the
 * same exportTo become one, the later ones' subsets added; Istio keeps the oldest one's top-level
 * trafficPolicy and drops a repeated subset name. There is no creation time here, so what Istio would
 * decide by age is refused instead, naming the field: a second top-level trafficPolicy, a subset name
 * already defined, a different exportTo (Istio keeps such rules apart and the namespace's own proxies
 * get the newest), and a rule without selector exported only to its namespace beside one with a selector
 * (Istio folds it into the selector's rule, so the other proxies would get neither).
 */

/** One merged rule: what a proxy gets for a host when Istio's lookup picks it (destination-rule-lookup.ts). */
export interface RuleGroup {
  namespace: string;
  /** As written (resolved to an FQDN): a declared host or a `*`/`*.suffix` pattern. */
  host: string;
  /** workloadSelector.matchLabels; its index among the namespace's distinct selectors. */
  selector?: Record<string, string>;
  selectorIndex?: number;
  exportTo?: string[];
  /** Exported only to its own namespace (`.` or its name), as every rule with a workloadSelector is. */
  private: boolean;
  /** The first rule of the group (its source names the policy) and the rules merged into it. */
  rules: DestinationRuleIntent[];
  policy: DestinationPolicyIR;
}

export interface RuleIndex {
  groups: RuleGroup[];
  /** Per namespace, its groups by host as written. */
  byNamespace: Map<string, Map<string, RuleGroup[]>>;
  /** Per namespace, the distinct workloadSelectors of its rules, in namespace/name order of the rules: a view names those its proxy matches by index. */
  selectors: Map<string, Record<string, string>[]>;
}

export const isPattern = (host: string) => host === '*' || host.startsWith('*.');

const canonical = (labels: Record<string, string> | undefined) => (labels ? JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))) : '');

/** Whether the rule is exported to its own namespace only (Istio's isPrivateOnly). */
function isPrivate(dr: DestinationRuleIntent): boolean {
  if (dr.spec.workloadSelector) return true;
  const exportTo = dr.spec.exportTo ?? [];
  return exportTo.length === 1 && (exportTo[0] === '.' || exportTo[0] === dr.metadata.namespace);
}

/** Istio compares exportTo as written (unset, `*`, `.` and the namespace's name all differ); a selector makes it `.`. */
const exportKey = (dr: DestinationRuleIntent) => (dr.spec.workloadSelector ? '.' : JSON.stringify([...new Set(dr.spec.exportTo ?? [])].sort()));

function policyOf(dr: DestinationRuleIntent): DestinationPolicyIR {
  const subsets = new Map<string, SubsetIR>();
  for (const s of dr.spec.subsets ?? []) subsets.set(s.name, { name: s.name, labels: s.labels ?? {}, ...(s.trafficPolicy ? { trafficPolicy: s.trafficPolicy } : {}) });
  return { source: sourceRef(dr.kind, dr.metadata.namespace, dr.metadata.name), subsets, ...(dr.spec.trafficPolicy ? { trafficPolicy: dr.spec.trafficPolicy } : {}) };
}

/** Adds `dr` to `group`, or says which field Istio would settle by creation time. */
function merge(group: RuleGroup, dr: DestinationRuleIntent, source: string, diag: Diagnostics | undefined): void {
  const first = group.policy.source;
  if (exportKey(dr) !== exportKey(group.rules[0]!)) {
    diag?.error(source, 'spec.exportTo', `differs from the exportTo of ${first}, a rule of the same namespace for host ${group.host}: Istio keeps such rules apart and which one this namespace's proxies get depends on creation time; give both the same exportTo`);
    return;
  }
  if (dr.spec.trafficPolicy && group.policy.trafficPolicy) {
    diag?.error(source, 'spec.trafficPolicy', `${first} already sets the top-level trafficPolicy for host ${group.host} in this namespace: Istio merges rules of one namespace but keeps only the oldest one's; set it in one rule`);
    return;
  }
  const clash = (dr.spec.subsets ?? []).findIndex((s) => group.policy.subsets.has(s.name));
  if (clash >= 0) {
    diag?.error(source, `spec.subsets[${clash}].name`, `subset ${dr.spec.subsets![clash]!.name} is already defined by ${first} for host ${group.host} in this namespace (Istio keeps the oldest one's)`);
    return;
  }
  const extra = policyOf(dr);
  for (const [name, s] of extra.subsets) group.policy.subsets.set(name, s);
  if (extra.trafficPolicy) group.policy.trafficPolicy = extra.trafficPolicy;
  group.rules.push(dr);
}

/** Groups the rules (in namespace/name order); `diag` reports conflicts (left out on scoped re-runs). */
export function groupDestinationRules(rules: DestinationRuleIntent[], diag?: Diagnostics): RuleIndex {
  const index: RuleIndex = { groups: [], byNamespace: new Map(), selectors: new Map() };
  // Istio's sortConfigBySelectorAndCreationTime: rules with a workloadSelector first.
  const ordered = [...rules.filter((r) => r.spec.workloadSelector), ...rules.filter((r) => !r.spec.workloadSelector)];
  for (const dr of ordered) {
    const source = sourceRef(dr.kind, dr.metadata.namespace, dr.metadata.name);
    const ns = dr.metadata.namespace;
    const selector = dr.spec.workloadSelector?.matchLabels;
    const exportTo = dr.spec.exportTo;
    if (selector && exportTo?.length === 1 && exportTo[0] !== '.' && exportTo[0] !== ns) {
      diag?.error(source, 'spec.exportTo', `a DestinationRule with workloadSelector applies only in its own namespace ${ns}: exportTo may only be "." or "${ns}", as Istio validates`);
      continue;
    }
    const hosts = index.byNamespace.get(ns) ?? index.byNamespace.set(ns, new Map()).get(ns)!;
    const same = hosts.get(dr.spec.host) ?? [];
    const twin = same.find((g) => canonical(g.selector) === canonical(selector));
    if (twin) {
      merge(twin, dr, source, diag);
      continue;
    }
    const folded = !selector && exportKey(dr) === '["."]' && same.find((g) => g.selector);
    if (folded) {
      diag?.error(source, 'spec.exportTo', `exported only to its namespace beside ${folded.policy.source}, which has a workloadSelector for the same host: Istio merges this rule into that one, so proxies its selector does not match would get neither; leave exportTo out or use "*"`);
      continue;
    }
    const group: RuleGroup = { namespace: ns, host: dr.spec.host, private: isPrivate(dr), rules: [dr], policy: policyOf(dr), ...(exportTo ? { exportTo } : {}) };
    if (selector) {
      const known = index.selectors.get(ns) ?? index.selectors.set(ns, []).get(ns)!;
      let i = known.findIndex((s) => canonical(s) === canonical(selector));
      if (i < 0) i = known.push(selector) - 1;
      Object.assign(group, { selector, selectorIndex: i });
    }
    hosts.set(dr.spec.host, [...same, group]);
    index.groups.push(group);
  }
  return index;
}

/** Two selectors some proxy's labels can match at once (no key with different values). */
export const overlaps = (a: Record<string, string>, b: Record<string, string>) => Object.entries(a).every(([k, v]) => b[k] === undefined || b[k] === v);

/** The root namespace's rules reach every namespace (Istio's MeshConfig rootNamespace). */
export { ROOT_NAMESPACE };

import { sourceRef } from '../envoy/names';
import type { DestinationRuleIntent } from '../intent/kinds';
import type { ServiceIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import { groupDestinationRules, isPattern, overlaps, ROOT_NAMESPACE, type RuleGroup, type RuleIndex } from './destination-rule-groups';
import { policiesFor, ruleFor, ruleNamespaces, selectorCombinations, type RuleAudience } from './destination-rule-lookup';
import { isHttpProtocol } from './hosts';
import type { DestinationPolicyIR } from './services';
import { grpcLoadBalancerPaths, istioMutualPaths, tlsPolicyPaths } from './traffic-policy';

/** Workload-selector combinations one namespace may split its proxies into (each is a translation of its own). */
const MAX_SELECTOR_COMBINATIONS = 32;

/** What the whole config's rules need of views: the namespaces set apart and, per namespace, its workloadSelectors. */
export interface RuleScopes {
  namespaces: string[];
  selectors: Map<string, { list: Record<string, string>[]; combinations: number[][] }>;
}

export interface DestinationRulesResult {
  policies: Map<string, DestinationPolicyIR>;
  /** Only when translating for every proxy at once (`audience` 'any'). */
  scopes?: RuleScopes;
}

/**
 * DestinationRules → the policy of each declared host, for one audience (a proxy namespace and the
 * workloadSelectors its labels match; see destination-rule-lookup.ts). `any` is the whole config's check:
 * every diagnostic about the rules is reported there, and each host gets what a proxy without namespace
 * gets plus the subsets other proxies get, so a route is refused only when no proxy could follow it; the
 * views set apart (scopes) are then translated each for its own audience.
 */
export function translateDestinationRules(rules: DestinationRuleIntent[], services: Map<string, ServiceIR>, diag: Diagnostics, audience: RuleAudience | 'any', exportScoped: string[] = []): DestinationRulesResult {
  if (audience !== 'any') return { policies: policiesFor(groupDestinationRules(rules), services, audience) };
  const index = groupDestinationRules(rules, diag);
  for (const g of index.groups) {
    if (!isPattern(g.host) && !services.has(g.host)) diag.error(g.policy.source, 'spec.host', `no ServiceEntry declares host ${g.host}`);
  }
  const scopes = scopesOf(index, services, diag);
  const audiences: RuleAudience[] = [{}];
  for (const ns of new Set([...scopes.namespaces, ...exportScoped])) {
    for (const combo of scopes.selectors.get(ns)?.combinations ?? [[]]) audiences.push({ namespace: ns, selected: new Set(combo) });
  }
  const reached = new Map<RuleGroup, ServiceIR[]>(index.groups.map((g) => [g, []]));
  const policies = new Map<string, DestinationPolicyIR>();
  for (const svc of services.values()) {
    const chosen = [...new Set(audiences.map((a) => ruleFor(index, svc, a)))].filter((g): g is RuleGroup => g !== undefined);
    for (const g of chosen) reached.get(g)!.push(svc);
    if (chosen.length) policies.set(svc.host, unionOf(ruleFor(index, svc, {}) ?? chosen[0]!, chosen));
  }
  for (const g of index.groups) {
    const hosts = reached.get(g)!;
    if (!hosts.length && isPattern(g.host)) diag.warn(g.policy.source, 'spec.host', `${g.host} matches no declared host that has no more specific DestinationRule: it applies to none yet`);
    else if (!hosts.length && services.has(g.host)) diag.warn(g.policy.source, 'spec.host', `every proxy gets another DestinationRule for host ${g.host} first (Istio looks in the proxy's namespace, then the host's, then ${ROOT_NAMESPACE}): this one applies to none`);
    const own = services.get(g.host);
    for (const dr of g.rules) warnFor(dr, sourceRef(dr.kind, dr.metadata.namespace, dr.metadata.name), hosts.length || !own ? hosts : [own], diag);
  }
  return { policies, scopes };
}

/** The policy proxies without namespace get, with the subsets other proxies' rules add (for reference checks only). */
function unionOf(base: RuleGroup, chosen: RuleGroup[]): DestinationPolicyIR {
  if (chosen.length === 1) return base.policy;
  const subsets = new Map(base.policy.subsets);
  for (const g of chosen) for (const [name, s] of g.policy.subsets) if (!subsets.has(name)) subsets.set(name, s);
  return { ...base.policy, subsets };
}

function scopesOf(index: RuleIndex, services: Map<string, ServiceIR>, diag: Diagnostics): RuleScopes {
  const selectors: RuleScopes['selectors'] = new Map();
  for (const [ns, list] of index.selectors) {
    const owners = index.groups.filter((g) => g.namespace === ns && g.selector);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        if (!overlaps(list[i]!, list[j]!)) continue;
        const [a, b] = [owners.find((g) => g.selectorIndex === i)!, owners.find((g) => g.selectorIndex === j)!];
        if (a.host === b.host) diag.warn(b.policy.source, 'spec.workloadSelector', `overlaps the workloadSelector of ${a.policy.source} for host ${a.host}: a proxy matching both gets ${a.policy.source} (first by namespace/name; Istio: the oldest)`);
      }
    }
    const combinations = selectorCombinations(list, MAX_SELECTOR_COMBINATIONS);
    if (!combinations) {
      diag.error(owners.at(-1)!.policy.source, 'spec.workloadSelector', `namespace ${ns}'s DestinationRule workloadSelectors split its proxies more than ${MAX_SELECTOR_COMBINATIONS} ways (each set of matching selectors is a view of its own): use fewer, or selectors on one label`);
      continue;
    }
    selectors.set(ns, { list, combinations });
  }
  // Istio stops at the proxy's namespace once it has a rule for the host, even one whose selector misses the proxy.
  for (const [ns, hosts] of index.byNamespace) {
    for (const [host, groups] of hosts) {
      const svc = services.get(host);
      if (!svc || svc.namespace === ns || groups.some((g) => !g.selector) || !ruleFor(index, svc, {})) continue;
      diag.warn(groups[0]!.policy.source, 'spec.workloadSelector', `proxies of namespace ${ns} that its workloadSelector does not match get no DestinationRule for host ${host}, not ${ruleFor(index, svc, {})!.policy.source}: Istio looks no further than the proxy's namespace once that has a rule for the host`);
    }
  }
  return { namespaces: ruleNamespaces(index, services.values()), selectors };
}

function warnFor(dr: DestinationRuleIntent, source: string, hosts: ServiceIR[], diag: Diagnostics): void {
  if (hosts.some((svc) => svc.ports.some((p) => isHttpProtocol(p.protocol)))) {
    for (const w of tlsPolicyPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
  }
  for (const w of istioMutualPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
  // Declared gRPC ports are what proxyless gRPC clients call.
  if (hosts.some((svc) => svc.ports.some((p) => p.protocol === 'GRPC'))) {
    for (const w of grpcLoadBalancerPaths(dr.spec.trafficPolicy, dr.spec.subsets ?? [])) diag.warn(source, w.path, w.message);
  }
  const original = hosts.find((svc) => svc.resolution === 'NONE');
  if (original && dr.spec.trafficPolicy?.loadBalancer) diag.warn(source, 'spec.trafficPolicy.loadBalancer', `has no effect on ${original.host}: with resolution NONE each connection goes to the address its caller dialled (Envoy's ORIGINAL_DST cluster picks it)`);
}

import { sourceRef } from '../envoy/names';
import type { AnyIntent, DestinationRuleIntent, GatewayIntent, ServiceEntryIntent, VirtualServiceIntent } from '../intent/kinds';
import type { IntentObject } from '../intent/types';
import { withQualifiedHosts } from '../intent/short-names';
import type { MeshIR } from '../ir/types';
import { Diagnostics, type Diagnostic } from './diagnostics';
import { translateEnvoyFilters } from './envoy-filters';
import { boundGateways, translateGateways } from './gateways';
import { hostMatches } from './hosts';
import { translateHttpRoutes } from './http-routes';
import { checkL4Routes } from './l4-routes';
import { checkMatchGateways } from './match-gateways';
import { isMeshBound, translateGrpcTargets, translateMeshPorts, virtualServiceLookup } from './mesh';
import { attachHashPolicies } from './hash-policies';
import { addPreviewRoutes } from './preview-routes';
import { buildClusterIRs, translateServiceEntries } from './services';
import type { RuleAudience } from './destination-rule-lookup';
import { translateDestinationRules, type RuleScopes } from './destination-rules';
import { isVisible, scopedNamespaces } from './export-scopes';
import { attachPriorityLabels, localityDepthOf, priorityLabelKeysOf } from './locality-lb';
import { SourceSelectors } from './source-selectors';
import { translateSidecars } from './sidecars';

export interface TranslateResult {
  ir: MeshIR;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

const byName = (a: IntentObject, b: IntentObject) => {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * Validated intents → IR. User mistakes across objects become diagnostics, never exceptions. When
 * exportTo hides objects from some proxies, or DestinationRules apply by the proxy's namespace and
 * labels (destination-rule-lookup.ts), the top-level IR is what proxies see by default and each
 * namespace set apart gets its own (`namespaceScopes`, each split by the workloadSelectors its proxies
 * match: `selectedScopes`); errors are those of the whole set, and what breaks only in some views (a
 * route to a service hidden from them, or to a subset their rule lacks) is a warning.
 */
export function translateIntents(written: IntentObject[]): TranslateResult {
  // Istio's short host names, resolved against each object's namespace: everything below reads FQDNs.
  const objects = written.map(withQualifiedHosts);
  const rules = (objects as AnyIntent[]).filter((o): o is DestinationRuleIntent => o.kind === 'DestinationRule').sort(byName);
  const exportScoped = scopedNamespaces(objects);
  const full = translateVisible(objects, 'any', rules, exportScoped);
  const namespaces = [...new Set([...exportScoped, ...full.ruleScopes!.namespaces])].sort();
  if (!namespaces.length || full.errors.length) return { ir: full.ir, errors: full.errors, warnings: full.warnings };
  // What breaks only in some views is reported once, naming them all.
  const known = new Set(full.warnings.map((w) => JSON.stringify(w)));
  const scopedDiags = new Map<string, { diagnostic: Diagnostic; scopes: string[] }>();
  const others = namespaces.length === exportScoped.length ? 'no namespace exportTo names' : 'other namespaces or none';
  const scoped = (namespace: string | undefined, selected: number[] = []): MeshIR => {
    const result = translateVisible(objects.filter((o) => isVisible(o, namespace)), { namespace, selected: new Set(selected) }, rules);
    const selectors = namespace ? full.ruleScopes!.selectors.get(namespace)?.list : undefined;
    const who = namespace ? `namespace ${namespace}${selected.length ? ` matching workloadSelector ${selected.map((i) => JSON.stringify(selectors![i])).join(' and ')}` : ''}` : others;
    for (const d of [...result.errors, ...result.warnings]) {
      const key = JSON.stringify(d);
      if (known.has(key)) continue;
      if (!scopedDiags.has(key)) scopedDiags.set(key, { diagnostic: d, scopes: [] });
      scopedDiags.get(key)!.scopes.push(who);
    }
    return result.ir;
  };
  const namespaceScope = (ns: string): MeshIR => {
    const scope = scoped(ns);
    const selectors = full.ruleScopes!.selectors.get(ns);
    if (!selectors) return scope;
    const combos = selectors.combinations.filter((c) => c.length);
    return { ...scope, ruleSelectors: selectors.list, ...(combos.length ? { selectedScopes: Object.fromEntries(combos.map((c) => [c.join(','), scoped(ns, c)])) } : {}) };
  };
  const ir: MeshIR = { ...scoped(undefined), namespaceScopes: Object.fromEntries(namespaces.map((ns) => [ns, namespaceScope(ns)])) };
  const warnings = [...full.warnings, ...[...scopedDiags.values()].map(({ diagnostic: d, scopes }) => ({ ...d, message: `for proxies in ${scopes.join(', ')}: ${d.message}` }))];
  return { ir, errors: [], warnings };
}

/**
 * One translation: for `audience` 'any' the whole config's check (every diagnostic, and the IR when no
 * view is set apart), else what proxies of that namespace and labels see. `rules` are every
 * DestinationRule, also those `objects` leaves out: Istio's lookup filters by exportTo itself.
 */
function translateVisible(objects: IntentObject[], audience: RuleAudience | 'any', allRules: DestinationRuleIntent[], exportScoped: string[] = []): TranslateResult & { ruleScopes?: RuleScopes } {
  const diag = new Diagnostics();
  const all = [...(objects as AnyIntent[])].sort(byName);
  const of = <K extends AnyIntent['kind']>(kind: K) => all.filter((o) => o.kind === kind) as Extract<AnyIntent, { kind: K }>[];
  const entries: ServiceEntryIntent[] = of('ServiceEntry');
  const virtualServices: VirtualServiceIntent[] = of('VirtualService');
  const gateways: GatewayIntent[] = of('Gateway');

  const services = translateServiceEntries(entries, diag);
  const { policies, scopes: ruleScopes } = translateDestinationRules(allRules, services, diag, audience, exportScoped);
  const ctx = { services, policies, diag, selectors: new SourceSelectors() };
  const meshServices = virtualServices.filter(isMeshBound);
  const lookup = virtualServiceLookup(meshServices);
  checkVirtualServiceBindings(virtualServices, gateways, services, diag);

  const clusters = buildClusterIRs(services, policies);
  const ir: MeshIR = {
    services: [...services.values()].sort((a, b) => (a.host < b.host ? -1 : 1)),
    clusters,
    meshPorts: translateMeshPorts(services, lookup, ctx),
    grpcTargets: translateGrpcTargets(services, lookup, ctx, clusters),
    gateways: translateGateways(gateways, virtualServices, ctx),
  };
  addPreviewRoutes(ir, virtualServices, ctx);
  if (ctx.selectors.list.length) ir.sourceSelectors = ctx.selectors.list;
  const depth = localityDepthOf(ir.clusters);
  if (depth !== undefined) ir.localityDepth = depth;
  attachPriorityLabels(ir.clusters, services, (host, subset) => policies.get(host)?.subsets.get(subset)?.labels);
  const priorityKeys = priorityLabelKeysOf(ir.clusters);
  if (priorityKeys) ir.priorityLabelKeys = priorityKeys;
  attachHashPolicies(ir);
  const envoyFilters = of('EnvoyFilter');
  if (envoyFilters.length) ir.envoyFilters = translateEnvoyFilters(envoyFilters, gateways.map((g) => g.spec.selector), diag);
  const sidecars = of('Sidecar');
  if (sidecars.length) ir.sidecars = translateSidecars(sidecars, ir.services, meshServices, ir.meshPorts, diag);
  // A VirtualService no port or gateway uses is never built above; check what holds on any port.
  for (const vs of virtualServices) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    translateHttpRoutes(vs, source, 'any', ctx);
    checkL4Routes(vs, source, isMeshBound(vs), ctx);
    checkMatchGateways(vs.spec, source, diag);
  }
  return { ir, errors: diag.errors, warnings: diag.warnings, ...(ruleScopes ? { ruleScopes } : {}) };
}

function checkVirtualServiceBindings(virtualServices: VirtualServiceIntent[], gateways: GatewayIntent[], services: Map<string, unknown>, diag: Diagnostics): void {
  const known = new Set(gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  // An exact host is looked up; only wildcards (in the VirtualService or among the services) are matched by scanning.
  const wildcardServices = [...services.keys()].filter((h) => h.startsWith('*'));
  const declares = (host: string) => (host.startsWith('*') ? [...services.keys()].some((h) => hostMatches(host, h)) : services.has(host) || wildcardServices.some((h) => hostMatches(host, h)));
  for (const vs of virtualServices) {
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    const keys = boundGateways(vs);
    (vs.spec.gateways ?? []).filter((g) => g !== 'mesh').forEach((g, i) => {
      if (!known.has(keys[i]!)) diag.error(source, `spec.gateways[${(vs.spec.gateways ?? []).indexOf(g)}]`, `no Gateway ${keys[i]}`);
    });
    if (isMeshBound(vs)) {
      vs.spec.hosts.forEach((host, i) => {
        if (!declares(host)) diag.warn(source, `spec.hosts[${i}]`, `no ServiceEntry declares host ${host}: this VirtualService routes nothing in the mesh`);
      });
    }
  }
}

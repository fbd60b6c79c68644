import { eq } from 'drizzle-orm';
import { parseSpiffeId, selectView, type NodeInfo, type ViewSelector } from '../../../xds';
import { identityPolicies, type IdentityPolicyRow } from '../db/schema';
import { openDatabase } from '../db/store';
import type { Env } from '../../env';
import { authEpochNow } from './tokens';

/** What a workload identity may receive: the namespaces its proxies may claim and the Gateway selectors they may match. */
export type IdentityPolicy = Pick<IdentityPolicyRow, 'name' | 'identity' | 'namespaces' | 'gatewaySelectors'>;

/** Why a proxy of an identity gets no config: the claim that is outside the identity, and why. */
export interface Refusal {
  claim: 'namespace' | 'labels';
  reason: string;
}

const matchesLabels = (labels: Record<string, string>, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The Gateway of `key` in any scope of the selector (namespace scopes narrow the root's list). */
function gatewayOf(selector: ViewSelector, key: string): ViewSelector['gateways'][number] | undefined {
  const scopes: ViewSelector[] = [selector];
  for (let i = 0; i < scopes.length; i++) {
    const scope = scopes[i]!;
    const hit = scope.gateways.find((g) => g.key === key);
    if (hit) return hit;
    scopes.push(...Object.values(scope.namespaceScopes ?? {}), ...Object.values(scope.selectedScopes ?? {}));
  }
  return undefined;
}

/** The namespaces an identity's proxies may claim: its SPIFFE ID's own (as istiod allows) and those its policy adds. */
export function namespacesOf(identity: string, policy: IdentityPolicy | undefined): string[] {
  const id = parseSpiffeId(identity);
  return [...new Set([...(id.ok ? [id.id.namespace] : []), ...(policy?.namespaces ?? [])])];
}

/**
 * Whether a proxy authenticated as `identity` may have the view its claims select. The control plane
 * decides, not the claims: the namespace must be one the identity may claim, and every Gateway the
 * labels select must have a selector the policy allows (a Gateway selecting `{istio: ingressgateway}`
 * is allowed by a policy selector with those labels, or more). Default: its own namespace, no Gateway.
 * Secrets follow: a view carries only its namespace's and its Gateways' Secrets (SDS).
 */
export function refusalOf(selector: ViewSelector, identity: string, policy: IdentityPolicy | undefined, node: NodeInfo): Refusal | undefined {
  const namespaces = namespacesOf(identity, policy);
  const allowed = namespaces.length ? namespaces.join(', ') : 'none: no policy names one';
  if (!node.namespace) return { claim: 'namespace', reason: `a proxy of identity ${identity} must name its namespace (allowed: ${allowed})` };
  if (!namespaces.includes(node.namespace)) return { claim: 'namespace', reason: `namespace '${node.namespace}' is outside identity ${identity} (allowed: ${allowed})` };
  for (const key of selectView(selector, node).gateways) {
    const gateway = gatewayOf(selector, key);
    if (gateway && (policy?.gatewaySelectors ?? []).some((allowed) => matchesLabels(allowed, gateway.selector))) continue;
    return { claim: 'labels', reason: `the labels select Gateway ${key} (selector ${JSON.stringify(gateway?.selector ?? {})}), which identity ${identity} may not see${policy ? '' : ': no identity policy allows it Gateways'}` };
  }
  return undefined;
}

// Per isolate, as token lookups are: dropped when the auth epoch moves (policy writes bump it too).
const CACHE_MS = 30_000;
const cache = new Map<string, { policy: IdentityPolicy | null; epoch: number; until: number }>();

export function forgetPolicyCache(): void {
  cache.clear();
}

/** The stored policy of an identity, if any. */
export async function policyOf(env: Env, identity: string): Promise<IdentityPolicy | undefined> {
  const epoch = await authEpochNow(env);
  const hit = cache.get(identity);
  if (hit && hit.epoch === epoch && hit.until > Date.now()) return hit.policy ?? undefined;
  const row = await openDatabase(env.DB)
    .select({ name: identityPolicies.name, identity: identityPolicies.identity, namespaces: identityPolicies.namespaces, gatewaySelectors: identityPolicies.gatewaySelectors })
    .from(identityPolicies)
    .where(eq(identityPolicies.identity, identity))
    .get();
  if (cache.size > 10_000) cache.clear();
  cache.set(identity, { policy: row ?? null, epoch, until: Date.now() + CACHE_MS });
  return row;
}

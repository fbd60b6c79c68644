import type { NodeInfo, ViewSelector } from '../../xds';
import { policyOf, refusalOf, type Refusal } from '../domain/auth/identity-policy';
import type { Principal } from '../domain/auth/tokens';
import type { Env } from '../env';
import { ProblemError } from '../http/problem';

/** Where a REST poll's claims are: Istio's proxies send NAMESPACE and LABELS, ours namespace and labels. */
const CLAIM_FIELDS: Record<Refusal['claim'], string> = { namespace: 'node.metadata.NAMESPACE', labels: 'node.metadata.labels' };

/**
 * A poll with a token bound to an identity gets its view only when the identity's policy allows what the
 * node claims; otherwise 403 naming the claim, and nothing is served (no resource, no Secret).
 */
export async function requireIdentityAllows(env: Env, selector: ViewSelector, principal: Principal | undefined, node: NodeInfo): Promise<void> {
  if (!principal?.identity) return;
  const refusal = refusalOf(selector, principal.identity, await policyOf(env, principal.identity), node);
  if (!refusal) return;
  throw new ProblemError({ status: 403, title: 'Forbidden', detail: `token "${principal.name}": ${refusal.reason}`, errors: [{ path: CLAIM_FIELDS[refusal.claim], message: refusal.reason }] });
}

import { nodeInfoOfClass, type BridgeNode, type ClassRefusal, type ViewSelector } from '../../xds';
import { policyOf, refusalOf } from '../domain/auth/identity-policy';
import type { Principal } from '../domain/auth/tokens';
import type { Env } from '../env';
import { ProblemError } from '../http/problem';

/**
 * The node classes of a POST /snapshots that their identity's policy refuses, by index. A class names the
 * identity its bridge authenticated its proxies as; a token bound to an identity reads as that identity
 * whatever the classes say (naming another is a 403 naming the class). Classes without an identity, from
 * an unbound token (a bridge allowing plaintext, an operator), are judged by nothing but the token's scope.
 */
export async function refusedClasses(env: Env, selector: ViewSelector, principal: Principal, nodes: readonly BridgeNode[]): Promise<Map<number, ClassRefusal>> {
  const refused = new Map<number, ClassRefusal>();
  for (const [i, n] of nodes.entries()) {
    if (principal.identity && n.identity !== undefined && n.identity !== principal.identity) {
      throw new ProblemError({ status: 403, title: 'Forbidden', detail: `token "${principal.name}" is bound to ${principal.identity}`, errors: [{ path: `nodes[${i}].identity`, message: `must be ${principal.identity} or absent` }] });
    }
    const identity = principal.identity ?? n.identity;
    if (!identity) continue;
    const refusal = refusalOf(selector, identity, await policyOf(env, identity), nodeInfoOfClass(n));
    if (refusal) refused.set(i, refusal);
  }
  return refused;
}

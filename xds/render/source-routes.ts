import type { VirtualHostIR } from '../ir/types';
import type { View } from '../ir/view-types';

/**
 * Virtual hosts as one view sees them: a match with sourceLabels stays only where the proxy's labels
 * match its selector, and a rule left with no match is dropped (Istio: the match does not apply to
 * other proxies). Configs without sourceLabels pass through untouched.
 */
export function routesForSources(virtualHosts: VirtualHostIR[], view: View): VirtualHostIR[] {
  const matched = new Set(view.sources ?? []);
  const applies = (selector: number | undefined) => selector === undefined || matched.has(selector);
  return virtualHosts.map((vh) => {
    if (!vh.routes.some((r) => r.matches.some((m) => m.sourceSelector !== undefined))) return vh;
    const routes = vh.routes.flatMap((r) => {
      if (r.matches.every((m) => applies(m.sourceSelector))) return [r];
      const matches = r.matches.filter((m) => applies(m.sourceSelector));
      return matches.length ? [{ ...r, matches }] : [];
    });
    return { ...vh, routes };
  });
}

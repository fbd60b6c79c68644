import { previewName, sourceRef } from '../envoy/names';
import type { VirtualServiceIntent } from '../intent/kinds';
import { PREVIEW_ANNOTATION, previewSettings, type PreviewSettings } from '../intent/preview';
import type { HTTPRoute } from '../intent/virtual-service';
import type { MeshIR, RouteIR, VirtualHostIR, WeightedClusterIR } from '../ir/types';
import type { RouteContext } from './route-context';
import { resolveDestination } from './resolve-destination';
import { mergeHeaders, translateHeaders } from './route-parts';

interface Previewed {
  vs: VirtualServiceIntent;
  settings: PreviewSettings;
}

/** The subsets a rule splits traffic across (several destinations, some with a subset), in order. */
function subsetsOf(rule: HTTPRoute | undefined): string[] {
  const dests = rule?.route ?? [];
  if (dests.length < 2) return [];
  return [...new Set(dests.flatMap((d) => (d.destination.subset !== undefined ? [d.destination.subset] : [])))];
}

const ruleOf = (p: Previewed, route: RouteIR) => p.vs.spec.http?.[Number(/^spec\.http\[(\d+)\]$/.exec(route.path)?.[1] ?? -1)];

/** A copy of `route` sending everything to the rule's destinations in `subset` (their relative weights kept; zero weights are lifted). */
function toSubset(route: RouteIR, rule: HTTPRoute, subset: string, contextPort: number | undefined, ctx: RouteContext): RouteIR | undefined {
  const chosen = (rule.route ?? []).map((d, j) => ({ d, j })).filter(({ d }) => d.destination.subset === subset);
  const clusters = chosen.map(({ d, j }) => resolveDestination(d.destination, `${route.path}.route[${j}].destination`, route.source, contextPort, ctx));
  if (clusters.some((c) => c === undefined)) return undefined;
  const lift = chosen.every(({ d }) => !d.weight);
  const destinations: WeightedClusterIR[] = chosen
    .map(({ d }, i) => {
      const headers = translateHeaders(d.headers);
      return { cluster: clusters[i]!, weight: chosen.length === 1 || lift ? 1 : (d.weight ?? 0), ...(headers ? { headers } : {}) };
    })
    .filter((d) => d.weight > 0);
  const copy: RouteIR = { ...route, destinations };
  // One destination is rendered as a plain cluster: its header operations join the route's (as translateHttpRoutes does).
  if (destinations.length === 1 && destinations[0]!.headers) {
    const headers = mergeHeaders(route.headers, destinations[0]!.headers);
    if (headers) copy.headers = headers;
    destinations[0] = { cluster: destinations[0]!.cluster, weight: 1 };
  }
  return copy;
}

/** Header mode: before each splitting rule, one route per subset for requests carrying `<header>: <subset>`. */
function withHeaderRoutes(vh: VirtualHostIR, byName: Map<string, Previewed>, contextPort: number | undefined, ctx: RouteContext): RouteIR[] {
  return vh.routes.flatMap((route) => {
    const p = byName.get(route.source);
    const rule = p ? ruleOf(p, route) : undefined;
    if (!p?.settings.header || !rule) return [route];
    const header = { name: p.settings.header, match: { kind: 'exact' as const, value: '' } };
    const previews = subsetsOf(rule).flatMap((subset) => {
      const copy = toSubset(route, rule, subset, contextPort, ctx);
      if (!copy) return [];
      const h = { ...header, match: { ...header.match, value: subset } };
      copy.matches = route.matches.length ? route.matches.map((m) => ({ ...m, headers: [...m.headers, h] })) : [{ headers: [h] }];
      return [copy];
    });
    return [...previews, route];
  });
}

/** Host mode: a virtual host `<subset>---<host>` per subset, its splitting rules sending everything to that subset. */
function previewHosts(vh: VirtualHostIR, byName: Map<string, Previewed>, contextPort: number | undefined, ctx: RouteContext): { subset: string; host: VirtualHostIR }[] {
  const hostMode = vh.routes.filter((r) => byName.get(r.source)?.settings.host);
  const subsets = [...new Set(hostMode.flatMap((r) => subsetsOf(ruleOf(byName.get(r.source)!, r))))];
  const domains = vh.domains.filter((d) => !d.includes('*'));
  if (!domains.length) return [];
  return subsets.map((subset) => ({
    subset,
    host: {
      ...vh,
      name: previewName(subset, vh.name),
      domains: domains.map((d) => previewName(subset, d)),
      routes: vh.routes.map((r) => {
        const p = byName.get(r.source);
        const rule = p?.settings.host ? ruleOf(p, r) : undefined;
        return rule && subsetsOf(rule).includes(subset) ? (toSubset(r, rule, subset, contextPort, ctx) ?? r) : r;
      }),
    },
  }));
}

const byVhName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const portOf = (vh: VirtualHostIR) => Number(vh.name.slice(vh.name.lastIndexOf(':') + 1)) || undefined;

/**
 * Preview routes for canaries (opt-in by the `xdsflare.dev/preview` annotation): reach one subset
 * directly, by header or by a derived host, without changing anyone's weights. Mesh ports, gRPC
 * targets (API listeners `<subset>---<host>:<port>`) and gateways; run before hash policies attach.
 */
export function addPreviewRoutes(ir: MeshIR, virtualServices: VirtualServiceIntent[], ctx: RouteContext): void {
  const byName = new Map<string, Previewed>();
  for (const vs of virtualServices) {
    const settings = previewSettings(vs.metadata.annotations);
    if (!settings) continue;
    const source = sourceRef(vs.kind, vs.metadata.namespace, vs.metadata.name);
    byName.set(source, { vs, settings });
    if (!(vs.spec.http ?? []).some((rule) => subsetsOf(rule).length)) {
      ctx.diag.warn(source, `metadata.annotations["${PREVIEW_ANNOTATION}"]`, 'no http rule splits traffic across subsets (several destinations with a subset): there is nothing to preview');
    }
  }
  if (!byName.size) return;
  const expand = (hosts: VirtualHostIR[], port: number | undefined): VirtualHostIR[] => [
    ...hosts.map((vh) => ({ ...vh, routes: withHeaderRoutes(vh, byName, port, ctx) })),
    ...hosts.flatMap((vh) => previewHosts(vh, byName, port, ctx).map((p) => p.host)),
  ].sort(byVhName);
  for (const p of ir.meshPorts) if (p.kind === 'http') p.virtualHosts = expand(p.virtualHosts, p.port);
  ir.grpcTargets = ir.grpcTargets
    .flatMap((t) => {
      const port = portOf(t.virtualHost);
      // A client dialing xds:///<subset>---<host>:<port> looks up a listener of that name.
      const previews = previewHosts(t.virtualHost, byName, port, ctx).map(({ subset, host }) => ({
        listener: previewName(subset, t.listener),
        routeConfig: previewName(subset, t.routeConfig),
        virtualHost: host,
      }));
      return [{ ...t, virtualHost: { ...t.virtualHost, routes: withHeaderRoutes(t.virtualHost, byName, port, ctx) } }, ...previews];
    })
    .sort((a, b) => (a.listener < b.listener ? -1 : a.listener > b.listener ? 1 : 0));
  for (const gw of ir.gateways) {
    for (const p of gw.ports) p.virtualHosts = expand(p.virtualHosts, undefined);
    for (const c of (gw.chainPorts ?? []).flatMap((p) => p.chains)) if (c.http) c.http.virtualHosts = expand(c.http.virtualHosts, undefined);
  }
}

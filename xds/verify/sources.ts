import type { ResourceType } from '../envoy/type-urls';
import type { MeshIR, SourceRef, VirtualHostIR } from '../ir/types';
import { patchSource } from '../render/patch';
import type { View } from '../ir/view-types';

export type SourceLocator = (type: ResourceType, json: Record<string, unknown>, path: string) => SourceRef;

type Json = Record<string, any>;

/** The IR virtual hosts a view's route configuration `name` was rendered from (same selection as renderView). */
function virtualHostsOf(ir: MeshIR, view: View, name: string): VirtualHostIR[] {
  if (view.client === 'grpc') return ir.grpcTargets.filter((t) => t.routeConfig === name).map((t) => t.virtualHost);
  if (view.gateways.length) {
    return ir.gateways.filter((g) => view.gateways.includes(g.key)).flatMap((g) => [
      ...g.ports.filter((p) => p.routeConfig === name).flatMap((p) => p.virtualHosts),
      ...(g.chainPorts ?? []).flatMap((p) => p.chains.flatMap((c) => (c.http?.routeConfig === name ? c.http.virtualHosts : []))),
    ]);
  }
  return ir.meshPorts.flatMap((p) => (p.kind === 'http' && p.routeConfig === name ? p.virtualHosts : []));
}

function routeSource(ir: MeshIR, view: View, json: Json, path: string): SourceRef {
  const at = /^virtual_hosts\[(\d+)\](?:\.routes\[(\d+)\])?/.exec(path);
  const vhJson: Json | undefined = at ? json.virtual_hosts?.[Number(at[1])] : undefined;
  const vh = vhJson ? virtualHostsOf(ir, view, json.name).find((v) => v.name === vhJson.name) : undefined;
  if (!vh) return {};
  // One Envoy route per match of a rule; only trust that mapping when the counts agree.
  const expanded = vh.routes.flatMap((r) => Array<typeof r>(Math.max(r.matches.length, 1)).fill(r));
  const route = at?.[2] !== undefined && expanded.length === (vhJson!.routes ?? []).length ? expanded[Number(at[2])] : undefined;
  if (route) return { object: route.source, objectPath: route.path };
  const objects = [...new Set(vh.routes.map((r) => r.source))];
  return objects.length ? { object: objects.join(', ') } : {};
}

/**
 * Points a violation in a rendered resource back at the intent that produced it, from the sources
 * the IR records: clusters and endpoints at their ServiceEntry (and DestinationRule), routes at the
 * VirtualService rule, gateway listeners at their Gateway.
 */
export function sourceLocator(ir: MeshIR, view: View): SourceLocator {
  const clusters = new Map(ir.clusters.map((c) => [c.name, c.sources]));
  return (type, json, path) => {
    const j = json as Json;
    // A resource an EnvoyFilter patched: point at the patch, the likelier cause.
    const patched = type === 'endpoints' ? undefined : patchSource(ir, view, type, j.name);
    if (patched) return patched;
    if (type === 'clusters') return { object: clusters.get(j.name)?.join(', ') };
    if (type === 'endpoints') return { object: clusters.get(j.cluster_name)?.[0] };
    if (type === 'routes') return routeSource(ir, view, j, path);
    return view.gateways.length ? { object: view.gateways.map((key) => `Gateway/${key}`).join(', ') } : {};
  };
}

import type { MeshIR } from '../ir/types';
import type { NodeInfo, View } from './types';

/** Envoy says `envoy`; gRPC's xDS clients say e.g. `gRPC Node Pure JS`, `gRPC Go`, `gRPC Java`. */
export const isGrpcClient = (node: NodeInfo) => /grpc/i.test(node.userAgentName ?? '');

/** The view of a proxy: gRPC clients always get the mesh view; an Envoy whose labels match Gateway selectors gets those Gateways. */
export function selectView(ir: MeshIR, node: NodeInfo): View {
  if (isGrpcClient(node)) return { client: 'grpc', gateways: [] };
  const gateways = ir.gateways
    .filter((gw) => Object.entries(gw.selector).every(([k, v]) => node.labels[k] === v))
    .map((gw) => gw.key)
    .sort();
  return { client: 'envoy', gateways };
}

/** A stable key: proxies with equal keys share one rendered snapshot. */
export function viewKey(view: View): string {
  return `${view.client}|${view.gateways.length ? `gw:${view.gateways.join(',')}` : 'mesh'}`;
}

export function parseView(key: string): View {
  const [client, rest = 'mesh'] = key.split('|');
  if (client !== 'envoy' && client !== 'grpc') throw new Error(`not a view key: ${key}`);
  return { client, gateways: rest === 'mesh' ? [] : rest.slice('gw:'.length).split(',') };
}

/** The views every write renders: mesh Envoy, mesh gRPC, and each Gateway on its own. */
export function defaultViews(ir: MeshIR): View[] {
  return [{ client: 'envoy', gateways: [] }, { client: 'grpc', gateways: [] }, ...ir.gateways.map((gw) => ({ client: 'envoy' as const, gateways: [gw.key] }))];
}

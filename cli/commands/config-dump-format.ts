import { table } from '../format';

/** The types GET /api/v1/config_dump answers with, in delivery order. */
export const CONFIG_TYPES = ['clusters', 'endpoints', 'listeners', 'routes'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

type Json = Record<string, any>;

/** What the edge answers for GET /api/v1/config_dump. */
export interface ConfigDump {
  revision: number;
  view: string;
  configs: Partial<Record<ConfigType, { version_info: string; type_url: string; resources: Json[] }>>;
}

const socket = (a: Json | undefined) => (a?.socket_address ? `${a.socket_address.address}:${a.socket_address.port_value}` : '-');

/** One row per resource: its name and what istioctl proxy-config shows of it. */
function rowsOf(type: ConfigType, resources: Json[]): string[][] {
  switch (type) {
    case 'clusters':
      return resources.map((c) => [c.name, c.type ?? (c.cluster_type ? 'CUSTOM' : 'EDS'), c.lb_policy ?? 'ROUND_ROBIN', c.transport_socket ? 'tls' : '-']);
    case 'endpoints':
      return resources.map((e) => {
        const hosts = (e.endpoints ?? []).flatMap((l: Json) => (l.lb_endpoints ?? []).map((h: Json) => socket(h.endpoint?.address)));
        return [e.cluster_name, String(hosts.length), hosts.slice(0, 3).join(',') + (hosts.length > 3 ? ',…' : '')];
      });
    case 'listeners':
      return resources.map((l) => [l.name, socket(l.address), String((l.filter_chains ?? []).length)]);
    case 'routes':
      return resources.flatMap((r) => (r.virtual_hosts ?? [{ name: '-', domains: [], routes: [] }]).map((v: Json) => [r.name, v.name, (v.domains ?? []).slice(0, 3).join(','), String((v.routes ?? []).length)]));
  }
}

const HEADERS: Record<ConfigType, string[]> = {
  clusters: ['CLUSTER', 'DISCOVERY', 'LB POLICY', 'TLS'],
  endpoints: ['CLUSTER', 'ENDPOINTS', 'ADDRESSES'],
  listeners: ['LISTENER', 'ADDRESS', 'FILTER CHAINS'],
  routes: ['ROUTE CONFIG', 'VIRTUAL HOST', 'DOMAINS', 'ROUTES'],
};

/** What a proxy receives, one table per type (or the one asked for). */
export function configLines(dump: ConfigDump, only?: ConfigType): string[] {
  const lines = [`view ${dump.view}, revision ${dump.revision}`];
  for (const type of only ? [only] : CONFIG_TYPES) {
    const config = dump.configs[type];
    const resources = config?.resources ?? [];
    lines.push('', `${type} (version ${config?.version_info ?? '-'}): ${resources.length}`);
    if (resources.length) lines.push(...table(HEADERS[type], rowsOf(type, resources)).split('\n').map((l) => `  ${l}`));
  }
  return lines;
}

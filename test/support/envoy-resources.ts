import { fromBinary, toJson, type Registry } from '@bufbuild/protobuf';
import type { ResourceType } from '../../xds';
import { envoyProtos } from './bridge-fixtures';

/** Reading xDS resources as a client does: strict unpacking, names, and what refers to what. */

export type Json = Record<string, any>;

const TYPE_PREFIX = 'type.googleapis.com/';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The EDS name a cluster subscribes to, if it is an EDS cluster. */
export function edsNameOf(cluster: Json): string | undefined {
  return cluster.type === 'EDS' ? cluster.eds_cluster_config?.service_name || cluster.name : undefined;
}

/** Route configuration names a listener's HTTP connection managers fetch by RDS. */
export function rdsNamesOf(listener: Json): string[] {
  const hcms: Json[] = [];
  for (const chain of listener.filter_chains ?? []) for (const f of chain.filters ?? []) if (f.typed_config?.['@type'] === TYPE_PREFIX + HCM) hcms.push(f.typed_config);
  if (listener.api_listener?.api_listener?.['@type'] === TYPE_PREFIX + HCM) hcms.push(listener.api_listener.api_listener);
  return hcms.map((h) => h.rds?.route_config_name).filter((n): n is string => typeof n === 'string');
}

/** Clusters a route configuration sends traffic to. */
export function clustersOfRoutes(routeConfig: Json): string[] {
  const out = new Set<string>();
  for (const vh of routeConfig.virtual_hosts ?? [])
    for (const r of vh.routes ?? []) {
      if (r.route?.cluster) out.add(r.route.cluster);
      for (const w of r.route?.weighted_clusters?.clusters ?? []) out.add(w.name);
    }
  return [...out];
}

export const nameOf = (type: ResourceType, json: Json) => String(type === 'endpoints' ? json.cluster_name : json.name);

/** Throws when a message (or any Any inside it) carries fields Envoy's protos do not know. */
function assertKnownFields(value: unknown, registry: Registry, path: string): void {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) return value.forEach((v, i) => assertKnownFields(v, registry, `${path}[${i}]`));
  const m = value as Json;
  if (m.$unknown?.length) throw new Error(`${path}: unknown field numbers ${m.$unknown.map((f: { no: number }) => f.no).join(',')}`);
  if (m.$typeName === 'google.protobuf.Any' && m.typeUrl) assertKnownFields(unpackMessage(registry, m as never, path).message, registry, `${path}<${m.typeUrl}>`);
  for (const [k, v] of Object.entries(m)) if (k !== '$unknown' && k !== '$typeName') assertKnownFields(v, registry, `${path}.${k}`);
}

function unpackMessage(registry: Registry, any: { typeUrl: string; value: Uint8Array }, path: string) {
  const desc = any.typeUrl.startsWith(TYPE_PREFIX) ? registry.getMessage(any.typeUrl.slice(TYPE_PREFIX.length)) : undefined;
  if (!desc) throw new Error(`${path}: unknown type ${any.typeUrl}`);
  return { desc, message: fromBinary(desc, any.value) };
}

/** Unpacks a resource Any strictly: known type, well-formed bytes, no unknown fields at any depth; proto field names. */
export function unpackStrict(any: { typeUrl: string; value: Uint8Array }, path: string): Json {
  const registry = envoyProtos().envoy.registry;
  const { desc, message } = unpackMessage(registry, any, path);
  assertKnownFields(message, registry, path);
  return toJson(desc, message, { registry, useProtoFieldName: true }) as Json;
}


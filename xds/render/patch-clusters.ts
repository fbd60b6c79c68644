import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { EnvoyPatchIR } from '../ir/envoy-filter';
import { clusterMatches } from './patch-match';
import { addNamed, mergeAny, removeOrMerge } from './patch-lists';
import { protoMerge } from './proto-merge';

type Json = Record<string, any>;

/**
 * Istio's MERGE into a cluster. A value with a transport_socket changes that alone: its typed_config
 * merges into the cluster's socket of the same name (or the transport_socket_matches entry of that
 * name; none: nothing changes, since a cluster cannot have both), else it replaces the socket.
 */
function mergeCluster(c: Json, value: Json): Json {
  const ts = value.transport_socket as Json | undefined;
  if (!ts) return protoMerge(c, value);
  const mergeSocket = (socket: Json) => (socket.typed_config && ts.typed_config ? { ...socket, typed_config: mergeAny(socket.typed_config, ts.typed_config) } : socket);
  const matches: Json[] = c.transport_socket_matches ?? [];
  if (matches.length) {
    const i = matches.findIndex((m) => m.transport_socket?.name === ts.name);
    if (i === -1) return c;
    return { ...c, transport_socket_matches: matches.map((m, j) => (j === i ? { ...m, transport_socket: mergeSocket(m.transport_socket) } : m)) };
  }
  if (c.transport_socket?.name === ts.name) return { ...c, transport_socket: mergeSocket(c.transport_socket) };
  return { ...c, transport_socket: structuredClone(ts) };
}

/** Each rendered cluster through the REMOVE and MERGE patches in order (a REMOVE ends it), then the ADDs, as Istio does. */
export function patchClusters(clusters: Json[], patches: EnvoyPatchIR[]): Json[] {
  let out = clusters.map((c) => removeOrMerge(c, patches, (e, p) => clusterMatches(e.name, p.cluster), mergeCluster)).filter((c): c is Json => c !== undefined);
  // An added cluster is not matched by other patches, whatever its match says.
  for (const p of patches) if (p.operation === 'ADD') out = addNamed(out, { '@type': RESOURCE_TYPES.clusters, ...structuredClone(p.value!) });
  return out;
}

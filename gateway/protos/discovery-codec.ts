import { fromBinary, toJson, type DescMessage } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { nodeInfoFromRequest, type NodeInfo } from '../../xds';
import type { EnvoyProtos } from './envoy-protos';

/** A NACK's google.rpc.Status, as the client sent it. */
export interface ErrorDetail {
  code: number;
  message: string;
}

/** A state-of-the-world DiscoveryRequest, decoded from Envoy's proto. */
export interface SotwRequest {
  versionInfo: string;
  /** Present on the first request of a stream (later ones may omit it). */
  node?: NodeInfo;
  resourceNames: string[];
  typeUrl: string;
  responseNonce: string;
  errorDetail?: ErrorDetail;
}

/** A DeltaDiscoveryRequest, decoded from Envoy's proto. */
export interface DeltaRequest {
  node?: NodeInfo;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  initialVersions: Record<string, string>;
  responseNonce: string;
  errorDetail?: ErrorDetail;
}

type Loose = Record<string, any>;

function nodeOf(protos: EnvoyProtos, node: unknown): NodeInfo | undefined {
  if (!node) return undefined;
  // Via canonical JSON so labels come out of the metadata Struct exactly as the edge reads them.
  return nodeInfoFromRequest(toJson(protos.node, node as never, { registry: protos.envoy.registry }));
}

const errorOf = (status: Loose | undefined): ErrorDetail | undefined => (status ? { code: status.code ?? 0, message: status.message ?? '' } : undefined);

export function decodeSotwRequest(protos: EnvoyProtos, bytes: Uint8Array): SotwRequest {
  const m = fromBinary(protos.discoveryRequest, bytes) as Loose;
  return {
    versionInfo: m.versionInfo,
    node: nodeOf(protos, m.node),
    resourceNames: m.resourceNames,
    typeUrl: m.typeUrl,
    responseNonce: m.responseNonce,
    errorDetail: errorOf(m.errorDetail),
  };
}

export function decodeDeltaRequest(protos: EnvoyProtos, bytes: Uint8Array): DeltaRequest {
  const m = fromBinary(protos.deltaDiscoveryRequest, bytes) as Loose;
  return {
    node: nodeOf(protos, m.node),
    typeUrl: m.typeUrl,
    subscribe: m.resourceNamesSubscribe,
    unsubscribe: m.resourceNamesUnsubscribe,
    initialVersions: { ...m.initialResourceVersions },
    responseNonce: m.responseNonce,
    errorDetail: errorOf(m.errorDetail),
  };
}

const fieldNo = (desc: DescMessage, localName: string) => {
  const field = desc.fields.find((f) => f.localName === localName);
  if (!field) throw new Error(`${desc.typeName} has no field ${localName}`);
  return field.number;
};

/**
 * Field numbers read from the descriptors once. Responses are written field by field so the
 * resources (already encoded, shared by every stream) are copied in as bytes, never re-encoded.
 */
export function responseFields(protos: EnvoyProtos) {
  const sotw = protos.discoveryResponse;
  const delta = protos.deltaDiscoveryResponse;
  const resource = protos.resource;
  return {
    sotw: { version: fieldNo(sotw, 'versionInfo'), resources: fieldNo(sotw, 'resources'), typeUrl: fieldNo(sotw, 'typeUrl'), nonce: fieldNo(sotw, 'nonce'), controlPlane: fieldNo(sotw, 'controlPlane') },
    delta: {
      systemVersion: fieldNo(delta, 'systemVersionInfo'),
      resources: fieldNo(delta, 'resources'),
      typeUrl: fieldNo(delta, 'typeUrl'),
      removed: fieldNo(delta, 'removedResources'),
      nonce: fieldNo(delta, 'nonce'),
      controlPlane: fieldNo(delta, 'controlPlane'),
    },
    resource: { name: fieldNo(resource, 'name'), version: fieldNo(resource, 'version'), resource: fieldNo(resource, 'resource') },
  };
}

export type ResponseFields = ReturnType<typeof responseFields>;

const LEN = WireType.LengthDelimited;

/** ControlPlane{identifier}: tells operators (Envoy stats, client logs) which bridge answered. */
function controlPlane(identifier: string): Uint8Array {
  return new BinaryWriter().tag(1, LEN).string(identifier).finish();
}

export interface SotwResponse {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  /** The `resources` field entries, already framed (see frameResources). */
  resources: Uint8Array;
  controlPlane: string;
}

/** Frames encoded Anys as repeated `resources` entries of a DiscoveryResponse, once, for reuse by every stream. */
export function frameResources(fields: ResponseFields, anys: Iterable<Uint8Array>, field = fields.sotw.resources): Uint8Array {
  const w = new BinaryWriter();
  for (const any of anys) w.tag(field, LEN).bytes(any);
  return w.finish();
}

export function encodeSotwResponse(fields: ResponseFields, r: SotwResponse): Uint8Array {
  const f = fields.sotw;
  return new BinaryWriter()
    .tag(f.version, LEN)
    .string(r.versionInfo)
    .raw(r.resources)
    .tag(f.typeUrl, LEN)
    .string(r.typeUrl)
    .tag(f.nonce, LEN)
    .string(r.nonce)
    .tag(f.controlPlane, LEN)
    .bytes(controlPlane(r.controlPlane))
    .finish();
}

/** One envoy.service.discovery.v3.Resource (name, per-resource version, the Any), as delta sends it. */
export function encodeDeltaResource(fields: ResponseFields, name: string, version: string, any: Uint8Array): Uint8Array {
  const f = fields.resource;
  return new BinaryWriter().tag(f.name, LEN).string(name).tag(f.version, LEN).string(version).tag(f.resource, LEN).bytes(any).finish();
}

export interface DeltaResponse {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Encoded Resource messages (see encodeDeltaResource). */
  resources: Uint8Array[];
  removed: string[];
  controlPlane: string;
}

export function encodeDeltaResponse(fields: ResponseFields, r: DeltaResponse): Uint8Array {
  const f = fields.delta;
  const w = new BinaryWriter().tag(f.systemVersion, LEN).string(r.systemVersionInfo);
  for (const res of r.resources) w.tag(f.resources, LEN).bytes(res);
  w.tag(f.typeUrl, LEN).string(r.typeUrl);
  for (const name of r.removed) w.tag(f.removed, LEN).string(name);
  return w.tag(f.nonce, LEN).string(r.nonce).tag(f.controlPlane, LEN).bytes(controlPlane(r.controlPlane)).finish();
}

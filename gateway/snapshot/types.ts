import type { AdsType, BridgeView } from '../../xds';

/** One resource as every stream sends it: encoded once, shared by reference. */
export interface EncodedResource {
  name: string;
  /** Content hash: the per-resource version in delta xDS, and the encode-cache key. */
  hash: string;
  /** The binary google.protobuf.Any (type_url + value). */
  any: Uint8Array;
  /** For EDS clusters: the ClusterLoadAssignment name the client will subscribe to. */
  edsName?: string;
}

export interface EncodedType {
  type: AdsType;
  typeUrl: string;
  /** The edge's content version for this type and view (what status reports use). */
  edgeVersion: string;
  /**
   * The version ADS responses carry. Equal to edgeVersion except for EDS, which also changes when
   * the clusters change: Envoy re-warms an updated Cluster and needs a fresh assignment even when
   * the endpoints did not change (envoy#13009).
   */
  version: string;
  resources: Map<string, EncodedResource>;
  /**
   * Whole SotW responses by framing key, so streams in the same state share one message (bytes and
   * nonce) per version instead of each encoding its own copy.
   */
  framed: Map<string, { nonce: string; bytes: Uint8Array }>;
  /** What each distinct subscription selects (see ads-stream.ts selectFrom), shared by streams. */
  selections: Map<string, { resources: ReadonlyMap<string, EncodedResource>; missing: string[]; key: string }>;
}

/** What one view receives, encoded. Immutable once built. */
export interface ViewSnapshot {
  view: string;
  /** The edge's version of the whole view. */
  version: string;
  /** The edge revision this snapshot was current at. */
  revision: number;
  /** When the bridge first saw this version (ms since epoch): the start of change-to-ACK latency. */
  receivedAt: number;
  types: Record<AdsType, EncodedType>;
  /** The proto3 JSON it was built from (as the edge sent it), for the state file. */
  source: BridgeView;
}

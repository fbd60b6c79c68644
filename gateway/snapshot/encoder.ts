import { createHash } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { ADS_DELIVERY_ORDER, ADS_TYPE_URLS, adaptForClient, capabilitiesOfProfile, resourceNameOf, type AdsType, type BridgeView, type BridgeViewType } from '../../xds';
import type { EnvoyProtos } from '../protos/envoy-protos';
import type { EncodedResource, EncodedType, ViewSnapshot } from './types';

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function edsNameOf(json: Record<string, unknown>): string | undefined {
  if (json.type !== 'EDS') return undefined;
  const eds = json.eds_cluster_config as { service_name?: string } | undefined;
  return eds?.service_name || String(json.name);
}

export interface SnapshotEncoderOptions {
  /** Called once per resource actually encoded (cache misses), for the `encodes` metric. */
  onEncode?: (count: number) => void;
}

/**
 * Turns the edge's proto3 JSON into binary Anys through Envoy's own protos. A resource is encoded
 * once per content: unchanged resources of a new version reuse the bytes of the old one.
 */
export class SnapshotEncoder {
  private cache = new Map<string, EncodedResource>();

  constructor(
    private readonly protos: EnvoyProtos,
    private readonly options: SnapshotEncoderOptions = {},
  ) {}

  /**
   * Throws (naming the resource) when the edge sent something Envoy's protos do not accept. Types whose
   * version is the one `previous` (the view's snapshot before) holds are taken over from it as they are,
   * shared responses included: a change costs what it changed, not a pass over the view.
   */
  encodeView(view: string, source: BridgeView, revision: number, receivedAt: number, previous?: ViewSnapshot): ViewSnapshot {
    let encoded = 0;
    const types = {} as Record<AdsType, EncodedType>;
    const srcOf = (type: AdsType): BridgeViewType | undefined => source.types[ADS_TYPE_URLS[type]] ?? (type === 'secrets' ? { version: '', resources: [] } : undefined);
    for (const type of ADS_DELIVERY_ORDER) {
      const typeUrl = ADS_TYPE_URLS[type];
      // Secrets come only to a bridge whose token may read them; without, the view has none.
      const src = srcOf(type);
      if (!src || typeof src.version !== 'string' || !Array.isArray(src.resources)) throw new Error(`view ${view}: no ${type} in the snapshot`);
      const held = previous?.types[type];
      // EDS's version also follows the clusters' (see EncodedType.version).
      if (held && held.edgeVersion === src.version && (type !== 'endpoints' || previous!.types.clusters.edgeVersion === srcOf('clusters')?.version)) {
        types[type] = held;
        continue;
      }
      const resources = new Map<string, EncodedResource>();
      for (const json of src.resources) {
        if (json['@type'] !== typeUrl) throw new Error(`view ${view}: a ${type} resource has @type ${String(json['@type'])}`);
        const name = resourceNameOf(json);
        if (resources.has(name)) throw new Error(`view ${view}: ${type} ${name} appears twice`);
        const text = JSON.stringify(json);
        const hash = shortHash(`${typeUrl}\n${text}`);
        let resource = this.cache.get(hash);
        if (!resource) {
          let value: Uint8Array;
          try {
            value = this.protos.envoy.toBinaryAny(json).value;
          } catch (err) {
            throw new Error(`view ${view}: ${type} ${name} does not decode as ${typeUrl}: ${err instanceof Error ? err.message : String(err)}`);
          }
          const any = toBinary(AnySchema, create(AnySchema, { typeUrl, value }));
          resource = { name, hash, any, ...(type === 'clusters' && edsNameOf(json) ? { edsName: edsNameOf(json) } : {}) };
          this.cache.set(hash, resource);
          encoded++;
        }
        resources.set(name, resource);
      }
      types[type] = { type, typeUrl, edgeVersion: src.version, version: src.version, resources, framed: new Map(), selections: new Map() };
    }
    if (types.endpoints !== previous?.types.endpoints) types.endpoints.version = shortHash(`${types.endpoints.edgeVersion}\n${types.clusters.edgeVersion}`);
    if (encoded) this.options.onEncode?.(encoded);
    return { view, version: source.version, revision, receivedAt, types, source };
  }

  /**
   * The snapshot as gRPC clients of a capability profile accept it (xds/clients): the same view and
   * versions (status reports compare them with the edge's), resources adapted where the profile needs it.
   * Unchanged resources keep their content hash, so their encoding is shared with the base snapshot.
   */
  adaptView(base: ViewSnapshot, profile: string): ViewSnapshot {
    const caps = capabilitiesOfProfile(profile);
    const types = Object.fromEntries(Object.entries(base.source.types).map(([url, t]) => [url, { ...t, resources: t.resources.map((r) => adaptForClient(r, caps)) }]));
    const adapted = this.encodeView(base.view, { ...base.source, types }, base.revision, base.receivedAt);
    // The state file keeps the edge's own JSON, never an adaptation.
    return { ...adapted, source: base.source };
  }

  /** Drops cached encodings no current snapshot uses. */
  retainOnly(snapshots: Iterable<ViewSnapshot>): void {
    const live = new Set<string>();
    for (const s of snapshots) for (const t of Object.values(s.types)) for (const r of t.resources.values()) live.add(r.hash);
    for (const hash of this.cache.keys()) if (!live.has(hash)) this.cache.delete(hash);
  }
}

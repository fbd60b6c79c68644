import type { AdsType } from '../../xds';
import { encodeDeltaResource, encodeDeltaResponse, type DeltaRequest } from '../protos/discovery-codec';
import type { EncodedResource } from '../snapshot/types';
import { AdsStream, type TypeState } from './ads-stream';
import type { Desired, Held, Sent } from './stream-types';

/** Encoded Resource wrappers, one per resource content, shared by every delta stream. */
const wrapped = new WeakMap<EncodedResource, Uint8Array>();

interface Diff {
  updated: EncodedResource[];
  removed: string[];
}

/**
 * Incremental ADS (DeltaAggregatedResources). Subscriptions change on every request whatever its
 * nonce (envoy PR #16659); the nonce only matches ACKs and NACKs. Only resources whose content hash
 * differs from what the client holds are sent; names it holds that are gone, and names it asked for
 * that never existed, come back in removed_resources.
 */
export class DeltaStream extends AdsStream {
  private diff?: Diff;

  protected override get protocol(): 'delta' {
    return 'delta';
  }

  onRequest(req: DeltaRequest): string | undefined {
    const found = this.begin(req.node, req.typeUrl);
    if (!found || 'error' in found) return found?.error;
    const { type, st } = found;
    const first = !st.sub.active;
    const has = new Map(st.has);
    // A reconnecting client says what it already holds; matching versions need not be sent again.
    if (first) for (const [name, hash] of Object.entries(req.initialVersions)) has.set(name, { hash });
    const { added, wildcardAdded, unsubscribed } = st.sub.update(req.subscribe, req.unsubscribe);
    for (const name of added) if (!(first && name in req.initialVersions)) st.forced.add(name);
    for (const name of unsubscribed) {
      has.delete(name);
      // Under a wildcard the client must learn whether the name still belongs to it (xds-protocol.md §3.2).
      if (st.sub.wildcard) st.forced.add(name);
    }
    st.has = has;
    if (first || wildcardAdded) st.mustAnswer = true;
    return this.finish(type, st, req.responseNonce, req.errorDetail);
  }

  private diffOf(st: TypeState, desired: Desired): Diff {
    const updated = [...desired.resources].filter(([name, r]) => st.forced.has(name) || st.has.get(name)?.hash !== r.hash).map(([, r]) => r);
    const removed = [...st.has.keys()].filter((name) => !desired.resources.has(name));
    // A name that must be answered but will not be sent (never existed; unsubscribed and not in the wildcard) is removed (xds-protocol.md §3.2).
    for (const name of st.forced) if (!desired.resources.has(name) && !removed.includes(name)) removed.push(name);
    return { updated, removed };
  }

  protected needsResponse(type: AdsType, st: TypeState, desired: Desired): boolean {
    if (desired.version === st.nackedVersion && !st.forced.size && !st.mustAnswer) return false;
    const diff = this.diffOf(st, desired);
    if (diff.updated.length || diff.removed.length || st.mustAnswer) {
      this.diff = diff;
      return true;
    }
    // The client already holds the desired state: settled without a response.
    if (st.ackedVersion !== desired.version) {
      st.ackedVersion = desired.version;
      if (desired.final) st.ackedEdgeVersion = desired.edgeVersion;
      this.report(type, st);
    }
    return false;
  }

  protected respond(type: AdsType, st: TypeState, desired: Desired, nonce: string): Omit<Sent, 'sentAt'> {
    const { updated, removed } = this.diff ?? this.diffOf(st, desired);
    this.diff = undefined;
    const fields = this.options.fields;
    const resources = updated.map((r) => {
      let bytes = wrapped.get(r);
      if (!bytes) wrapped.set(r, (bytes = encodeDeltaResource(fields, r.name, r.hash, r.any)));
      return bytes;
    });
    this.write(encodeDeltaResponse(fields, { systemVersionInfo: desired.version, typeUrl: this.target!.types[type].typeUrl, nonce, resources, removed, controlPlane: this.options.controlPlane }));
    const result = new Map<string, Held>(st.has);
    for (const r of updated) result.set(r.name, r);
    for (const name of removed) result.delete(name);
    return { nonce, version: desired.version, result, final: desired.final, edgeVersion: desired.edgeVersion, receivedAt: desired.receivedAt };
  }
}

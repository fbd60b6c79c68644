import type { AdsType } from '../../xds';
import { encodeSotwResponse, frameResources, type SotwRequest } from '../protos/discovery-codec';
import type { EncodedResource } from '../snapshot/types';
import { AdsStream, type TypeState } from './ads-stream';
import type { Desired, Sent } from './stream-types';

const MAX_FRAMED = 1024;

/** Messages built to be shared by streams (their nonces count these). */
let sharedMessages = 0;

/**
 * Types whose SotW responses carry only what the client lacks: for EDS, RDS and SDS a client keeps the
 * names a response leaves out (Envoy calls only the watches whose names it holds; gRPC's clients do the
 * same), so an unchanged resource is never sent again. CDS and LDS are full state: absent means deleted.
 */
const PARTIAL: ReadonlySet<AdsType> = new Set(['endpoints', 'routes', 'secrets']);

/**
 * State-of-the-world ADS (StreamAggregatedResources). Nonces are per stream and checked per type;
 * a request carrying error_detail is a NACK whatever its version says; a request with a stale nonce
 * still changes the subscription (envoy#10363) but acknowledges nothing.
 */
export class SotwStream extends AdsStream {
  /** Returns an error message when the request cannot be served (the stream is then failed). */
  onRequest(req: SotwRequest): string | undefined {
    const found = this.begin(req.node, req.typeUrl);
    if (!found || 'error' in found) return found?.error;
    const { type, st } = found;
    const first = !st.sub.active;
    const { added, wildcardAdded } = st.sub.replace(req.resourceNames);
    if (first || added.length || wildcardAdded) st.mustAnswer = true;
    // A name asked for again may have been dropped by the client meanwhile (its cluster went and came back).
    if (PARTIAL.has(type)) for (const name of added) st.forced.add(name);
    return this.finish(type, st, req.responseNonce, req.errorDetail);
  }

  protected needsResponse(_type: AdsType, st: TypeState, desired: Desired): boolean {
    if (st.mustAnswer || st.forced.size) return true;
    return desired.version !== st.ackedVersion && desired.version !== st.nackedVersion;
  }

  /** What of `desired` this response carries: all of it, or for partial types what the client lacks. */
  private toSend(type: AdsType, st: TypeState, desired: Desired): EncodedResource[] {
    const all = [...desired.resources.values()];
    if (!PARTIAL.has(type)) return all;
    return all.filter((r) => st.forced.has(r.name) || st.has.get(r.name)?.hash !== r.hash);
  }

  /**
   * Streams in the same state share one framed buffer per version: those with equal subscriptions
   * for a full response, and those also coming from the same ACKed selection for a partial one.
   */
  private framingKey(type: AdsType, st: TypeState, desired: Desired): string | undefined {
    if (desired.key === undefined) return undefined;
    if (!PARTIAL.has(type)) return desired.key;
    if (st.forced.size || st.ackedKey === undefined || st.ackedVersion === undefined) return undefined;
    return `${desired.key}\u0000${st.ackedKey}\u0000${st.ackedVersion}`;
  }

  /**
   * A shared message carries a nonce of its own, the same on every stream it goes to: a nonce only has
   * to tell a stream's responses of one type apart, and one message is one content at one version, so
   * an ACK of it means the same whichever copy it answers. (`s` keeps them apart from per-stream nonces.)
   */
  protected respond(type: AdsType, st: TypeState, desired: Desired, nonce: string): Omit<Sent, 'sentAt'> {
    const t = this.target!.types[type];
    const key = this.framingKey(type, st, desired);
    let message = key === undefined ? undefined : t.framed.get(key);
    if (!message) {
      const own = key === undefined ? nonce : `s${++sharedMessages}`;
      const resources = frameResources(this.options.fields, this.toSend(type, st, desired).map((r) => r.any));
      message = { nonce: own, bytes: encodeSotwResponse(this.options.fields, { versionInfo: desired.version, typeUrl: t.typeUrl, nonce: own, resources, controlPlane: this.options.controlPlane }) };
      if (key !== undefined) {
        if (t.framed.size >= MAX_FRAMED) t.framed.clear();
        t.framed.set(key, message);
      }
    }
    this.write(message.bytes);
    // Once ACKed the client holds all of desired: what it kept and what this response brought.
    return { nonce: message.nonce, version: desired.version, result: desired.resources, final: desired.final, ...(desired.key !== undefined ? { key: desired.key } : {}), edgeVersion: desired.edgeVersion, receivedAt: desired.receivedAt };
  }
}

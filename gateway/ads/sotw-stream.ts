import type { AdsType } from '../../xds';
import { encodeSotwResponse, frameResources, type SotwRequest } from '../protos/discovery-codec';
import { AdsStream, type TypeState } from './ads-stream';
import type { Desired, Sent } from './stream-types';

const MAX_FRAMED = 1024;

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
    return this.finish(type, st, req.responseNonce, req.errorDetail);
  }

  protected needsResponse(_type: AdsType, st: TypeState, desired: Desired): boolean {
    if (st.mustAnswer) return true;
    return desired.version !== st.ackedVersion && desired.version !== st.nackedVersion;
  }

  protected respond(type: AdsType, _st: TypeState, desired: Desired, nonce: string): Omit<Sent, 'nonce' | 'sentAt'> {
    const t = this.target!.types[type];
    // Streams with equal subscriptions share one framed buffer per version (only for the target itself).
    const key = desired.key;
    let framed = key === undefined ? undefined : t.framed.get(key);
    if (!framed) {
      framed = frameResources(this.options.fields, [...desired.resources.values()].map((r) => r.any));
      if (key !== undefined) {
        if (t.framed.size >= MAX_FRAMED) t.framed.clear();
        t.framed.set(key, framed);
      }
    }
    this.write(encodeSotwResponse(this.options.fields, { versionInfo: desired.version, typeUrl: this.target!.types[type].typeUrl, nonce, resources: framed, controlPlane: this.options.controlPlane }));
    return { version: desired.version, result: desired.resources, final: desired.final, edgeVersion: desired.edgeVersion, receivedAt: desired.receivedAt };
  }
}

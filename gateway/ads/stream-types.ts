import type { NodeInfo, AdsType } from '../../xds';
import type { ErrorDetail } from '../protos/discovery-codec';
import type { EncodedResource } from '../snapshot/types';

/**
 * What a proxy holds of one resource: the resource this bridge sent (shared, not copied), or only the
 * content hash a reconnecting delta client declared in initial_resource_versions.
 */
export type Held = EncodedResource | { hash: string; any?: undefined; edsName?: undefined };

export const isEncoded = (held: Held | undefined): held is EncodedResource => held?.any !== undefined;

/** The state a response leads to once the client ACKs it. */
export interface Sent {
  version: string;
  nonce: string;
  /** The resources the client holds after applying the response. */
  result: ReadonlyMap<string, Held>;
  /** No resource was kept back for make-before-break: this is the target itself. */
  final: boolean;
  /** The selection key of `result` when it is the target's own selection (Desired.key). */
  key?: string;
  edgeVersion: string;
  /** When the snapshot this response carries was first seen by the bridge. */
  receivedAt: number;
  sentAt: number;
}

/** What a type of a stream should hold now. */
export interface Desired {
  version: string;
  resources: ReadonlyMap<string, EncodedResource>;
  /** Identifies the selection when it is the target's own (shared framing); absent for make-before-break states. */
  key?: string;
  /** Explicitly subscribed names that do not exist. */
  missing: string[];
  final: boolean;
  edgeVersion: string;
  receivedAt: number;
}

/** One proxy's state for one type, as reported to the edge. */
export interface TypeStatus {
  acked: string;
  served: string;
  nack: { version: string; message: string } | null;
}

/** Where ACKs and NACKs go (the status reporter), and the metrics they feed. */
export interface StreamObserver {
  onStatus?(node: NodeInfo, view: string, type: AdsType, status: TypeStatus): void;
  onDisconnect?(node: NodeInfo): void;
  onPush?(type: AdsType): void;
  onAck?(type: AdsType, secondsSinceChange: number | undefined): void;
  onNack?(type: AdsType, node: NodeInfo, detail: ErrorDetail): void;
  onConnect?(protocol: 'sotw' | 'delta', delta: 1 | -1): void;
  log?(level: 'debug' | 'info' | 'warn', msg: string, fields: Record<string, unknown>): void;
}

import { xdsEchoClient, type EchoClient } from './bridge-fixtures';
import { ccoreEchoClient } from './ccore-client';

/**
 * Bugs of a client release that the tests run into, documented for users (docs/grpc.md): a case hitting
 * one runs as an expected failure (`it.fails`), with the same checks, so a release that fixes it shows.
 */
export type KnownClientBug =
  /** C-core 1.51: a route timeout (max_stream_duration) fires ~1.5 s before it should (a 3 s timeout after 1.45 s here). */
  | 'route-timeout-fires-early'
  /** C-core 1.51: the client crashes on its first call through a RING_HASH cluster (grpc/grpc#31766). */
  | 'ring-hash-crash';

export interface GrpcClientKind {
  /** As test names say it. */
  name: string;
  /** For node ids. */
  id: string;
  connect(adsPort: number, target: string, nodeId: string, labels?: Record<string, string>, locality?: { region?: string; zone?: string; sub_zone?: string }): Promise<EchoClient>;
  knownBugs: ReadonlySet<KnownClientBug>;
}

/**
 * The two independent proxyless gRPC xDS clients every gRPC case runs against: grpc-js (Node) and
 * gRPC C-core (inside C++, Python and Ruby; here Debian's python3-grpcio 1.51).
 */
export const GRPC_CLIENTS: GrpcClientKind[] = [
  { name: 'grpc-js', id: 'grpc-js', connect: xdsEchoClient, knownBugs: new Set() },
  { name: 'gRPC C-core', id: 'c-core', connect: ccoreEchoClient, knownBugs: new Set(['route-timeout-fires-early', 'ring-hash-crash']) },
];

/** `it`, or `it.fails` for a client with this known bug. */
export const itUnless = <T extends { fails: unknown }>(it: T, kind: GrpcClientKind, bug: KnownClientBug): T => (kind.knownBugs.has(bug) ? (it.fails as T) : it);

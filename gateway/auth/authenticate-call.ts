import * as grpc from '@grpc/grpc-js';
import { spiffeIdOfCertificate } from './peer-identity';
import type { TokenIdentities } from './token-identities';

/** Who an ADS stream is: an identity (from its certificate or its token), or nobody where that is allowed. */
export type CallAuth = { ok: true; identity?: string; via: 'mtls' | 'token' | 'none' } | { ok: false; code: grpc.status; details: string };

export interface AdsAuthOptions {
  /** SPIFFE trust domain whose identities this bridge serves (`cluster.local`). */
  trustDomain: string;
  /** Resolves bearer tokens; absent: tokens are not accepted. */
  tokens?: TokenIdentities;
  /** Serve clients that prove no identity (XDSFLARE_ADS_ALLOW_PLAINTEXT): they may claim any view. */
  allowUnauthenticated: boolean;
}

/** The bearer token of `authorization: Bearer …` metadata (Envoy's initial_metadata, gRPC call credentials). */
function bearerOf(metadata: grpc.Metadata): string | undefined {
  const values = metadata.get('authorization');
  if (values.length !== 1 || typeof values[0] !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(values[0])?.[1];
}

const codes = { unauthenticated: grpc.status.UNAUTHENTICATED, permission_denied: grpc.status.PERMISSION_DENIED, unavailable: grpc.status.UNAVAILABLE };

/**
 * Authenticates an ADS call before any request of it is read: a client certificate the handshake verified
 * (its SPIFFE ID), else a bearer token the edge vouches for, else nobody, refused UNAUTHENTICATED unless
 * plaintext is allowed. A certificate of another trust domain is refused outright, never served as nobody.
 */
export async function authenticateCall(call: grpc.ServerDuplexStream<unknown, unknown>, o: AdsAuthOptions): Promise<CallAuth> {
  // grpc-js gives the peer certificate only when the handshake verified it against the CA bundle.
  const certificate = call.getAuthContext?.().sslPeerCertificate;
  if (certificate?.raw) {
    const id = spiffeIdOfCertificate(certificate.raw, o.trustDomain);
    return id.ok ? { ok: true, identity: id.identity, via: 'mtls' } : { ok: false, code: grpc.status.UNAUTHENTICATED, details: id.error };
  }
  const token = bearerOf(call.metadata);
  if (token) {
    if (!o.tokens) return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'this bridge does not accept bearer tokens' };
    const verdict = await o.tokens.verify(token);
    return verdict.ok ? { ok: true, identity: verdict.identity, via: 'token' } : { ok: false, code: codes[verdict.code], details: verdict.error };
  }
  if (call.metadata.get('authorization').length) return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'authorization metadata must be one "Bearer <token>"' };
  if (o.allowUnauthenticated) return { ok: true, via: 'none' };
  return {
    ok: false,
    code: grpc.status.UNAUTHENTICATED,
    details: `this bridge serves authenticated clients only: present a client certificate with a SPIFFE ID of trust domain ${o.trustDomain}, or "authorization: Bearer <token>" metadata with a token bound to an identity`,
  };
}

/**
 * Why the domain refused or failed. Each reason is one thing that happened; the error boundary
 * (functions/http/domain-problems.ts) maps it to an HTTP status and title, and callers decide by it,
 * never by the message text.
 */
export type DomainReason =
  /** The object to change does not exist. */
  | 'not-found'
  /** If-Match names a resourceVersion the object is not at (or the object is absent). */
  | 'precondition-failed'
  /** A create-only write (If-None-Match: *) of an object that exists. */
  | 'already-exists'
  /** The configuration the change would produce has referential errors or renders inconsistently. */
  | 'inconsistent'
  /** The rendered Envoy resources break validation rules of Envoy's protos. */
  | 'invalid-envoy-config'
  /** Another write committed the revision this one was going to be: read again and retry. */
  | 'revision-taken'
  /** The stored configuration cannot be served now (store unreachable, a revision that no longer translates). */
  | 'config-unavailable'
  /** SECRETS_KEY is not set, so secrets can be neither stored nor read. */
  | 'secrets-key-missing'
  /** SECRETS_KEY is set but is not base64 of 32 bytes. */
  | 'secrets-key-malformed'
  /** What the change would store breaks a limit of the store (D1's 2 MB per row, its batch limits). */
  | 'too-large'
  /** A stored secret cannot be decrypted with the configured key. */
  | 'secret-unreadable'
  /** A Worker variable holds a value it cannot mean (functions/settings.ts). */
  | 'bad-setting'
  /** The write moves the weights of a route an active rollout drives, and did not say how (domain/config/route-owner.ts). */
  | 'rollout-owns-route';

/** One offending field: where, what is wrong, and in which stored object (`Kind/namespace/name`) when known. */
export interface DomainField {
  path: string;
  message: string;
  object?: string;
}

/** Thrown by the domain floor; `message` is the full sentence an answer shows as its detail. */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly reason: DomainReason,
    message: string,
    readonly fields?: readonly DomainField[],
    /** Further members of the problem document (RFC 9457 extensions), e.g. the rollouts a write collides with. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(message);
  }
}

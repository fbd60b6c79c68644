import { decodeBase64, encodeBase64 } from '../../xds/secrets/pem';

/**
 * Standard Webhooks signing (standardwebhooks.com): the secret is `whsec_` + base64 of 24 to 64 random
 * bytes; the signature is `v1,` + base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}`
 * under those bytes, so any Standard Webhooks library verifies our deliveries.
 */
export const SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
const GENERATED_SECRET_BYTES = 32;

/** The HMAC key bytes of a `whsec_` secret; undefined when it is not one (wrong prefix, not base64, wrong length). */
export function secretBytes(secret: string): Uint8Array | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const bytes = decodeBase64(secret.slice(SECRET_PREFIX.length));
  return bytes && bytes.length >= MIN_SECRET_BYTES && bytes.length <= MAX_SECRET_BYTES ? bytes : undefined;
}

export function generateSecret(): string {
  return SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(GENERATED_SECRET_BYTES)));
}

const enc = new TextEncoder();

/** The `webhook-signature` header value for one attempt. `timestamp` is unix seconds. */
export async function signPayload(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const bytes = secretBytes(secret);
  if (!bytes) throw new Error('not a whsec_ signing secret');
  const key = await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(`${id}.${timestamp}.${body}`));
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

/** The headers of one delivery attempt: the id stays the same on every retry, the timestamp is the attempt's. */
export async function signedHeaders(secret: string, id: string, type: string, body: string, now = Date.now()): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'xdsflare-webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signPayload(secret, id, timestamp, body),
    'x-xdsflare-event': type,
  };
}

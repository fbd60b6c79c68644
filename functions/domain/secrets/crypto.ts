import { decodeBase64, encodeBase64 } from '../../../xds/secrets/pem';
import type { TlsMaterial } from '../../../xds/secrets/tls-secret';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { DomainError } from '../errors';

/** A secret's PEM texts as stored: AES-256-GCM, bound to its `namespace/name` as additional data. */
export interface EncryptedBlob {
  alg: 'AES-256-GCM';
  /** Which SECRETS_KEY encrypted it (a keyed fingerprint, not the key): tells a rotated key from corruption. */
  keyId: string;
  iv: string;
  data: string;
}

export interface SecretKeys {
  aes: CryptoKey;
  hmac: CryptoKey;
  id: string;
}

const enc = new TextEncoder();
let cached: { raw: string; keys: Promise<SecretKeys> } | undefined;
let cachedPrevious: { raw: string; keys: Promise<SecretKeys> } | undefined;

/** The keys that may read what is stored: SECRETS_KEY, and while rotating SECRETS_KEY_PREVIOUS. Writes use `current` only. */
export interface SecretKeyRing {
  current: SecretKeys;
  previous?: SecretKeys;
}

async function deriveKeys(raw: Uint8Array): Promise<SecretKeys> {
  // Separate keys for encryption and digests, derived from the one Worker secret (HKDF, RFC 5869).
  const master = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey']);
  const params = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(info) });
  const aes = await crypto.subtle.deriveKey(params('xdsflare secrets aes-256-gcm'), master, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const hmac = await crypto.subtle.deriveKey(params('xdsflare secrets digest'), master, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
  const id = hex(await crypto.subtle.sign('HMAC', hmac, enc.encode('key-id'))).slice(0, 16);
  return { aes, hmac, id };
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The keys from the SECRETS_KEY Worker secret; an error (never the value) when it is missing or malformed. */
export function secretKeys(env: Env): Promise<SecretKeys> {
  const raw = settings(env).secretsKey;
  if (!raw) throw new DomainError('secrets-key-missing', 'SECRETS_KEY is not configured: TLS secrets are stored encrypted with it. Set the Worker secret SECRETS_KEY to base64 of 32 random bytes (openssl rand -base64 32 | wrangler secret put SECRETS_KEY)');
  if (cached?.raw !== raw) {
    const bytes = decodeBase64(raw);
    if (bytes?.length !== 32) throw new DomainError('secrets-key-malformed', 'SECRETS_KEY is malformed: it must be base64 of exactly 32 bytes (openssl rand -base64 32)');
    cached = { raw, keys: deriveKeys(bytes) };
  }
  return cached.keys;
}

/** SECRETS_KEY and, when set, SECRETS_KEY_PREVIOUS (the key being rotated out; only decrypts). */
export async function secretKeyRing(env: Env): Promise<SecretKeyRing> {
  const current = await secretKeys(env);
  const raw = settings(env).secretsKeyPrevious;
  if (!raw) return { current };
  if (cachedPrevious?.raw !== raw) {
    const bytes = decodeBase64(raw);
    if (bytes?.length !== 32) throw new DomainError('secrets-key-malformed', 'SECRETS_KEY_PREVIOUS is malformed: it must be base64 of exactly 32 bytes, the SECRETS_KEY it replaces');
    cachedPrevious = { raw, keys: deriveKeys(bytes) };
  }
  return { current, previous: await cachedPrevious.keys };
}

/** The key of the ring that encrypted `blob` (by its key id), or a problem naming the ids. */
export function keyFor(ring: SecretKeyRing, what: string, keyId: string): SecretKeys {
  if (keyId === ring.current.id) return ring.current;
  if (keyId === ring.previous?.id) return ring.previous;
  const configured = ring.previous ? `SECRETS_KEY ${ring.current.id}, SECRETS_KEY_PREVIOUS ${ring.previous.id}` : `SECRETS_KEY ${ring.current.id}`;
  throw new DomainError('secret-unreadable', `${what} was encrypted with another key (key id ${keyId}; configured ${configured}); set that key as SECRETS_KEY_PREVIOUS, or PUT it again`);
}

const canonical = (m: TlsMaterial) => JSON.stringify([m['tls.crt'], m['tls.key'], m['ca.crt'] ?? null]);

export async function encryptMaterial(keys: SecretKeys, aad: string, material: TlsMaterial): Promise<EncryptedBlob> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(aad) }, keys.aes, enc.encode(canonical(material)));
  return { alg: 'AES-256-GCM', keyId: keys.id, iv: encodeBase64(iv), data: encodeBase64(new Uint8Array(data)) };
}

export async function decryptMaterial(ring: SecretKeyRing, aad: string, blob: EncryptedBlob): Promise<TlsMaterial> {
  const keys = keyFor(ring, `secret ${aad}`, blob.keyId);
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: decodeBase64(blob.iv)!, additionalData: enc.encode(aad) }, keys.aes, decodeBase64(blob.data)!);
    const [crt, key, ca] = JSON.parse(new TextDecoder().decode(plain)) as [string, string, string | null];
    return { 'tls.crt': crt, 'tls.key': key, ...(ca ? { 'ca.crt': ca } : {}) };
  } catch {
    throw new DomainError('secret-unreadable', `secret ${aad} cannot be decrypted: it was altered or stored under another name`);
  }
}

/** A keyed digest of the material: detects a no-op PUT and versions SDS answers without hashing key material in the clear. */
export async function digestMaterial(keys: SecretKeys, aad: string, material: TlsMaterial): Promise<string> {
  return hex(await crypto.subtle.sign('HMAC', keys.hmac, enc.encode(`${aad}\n${canonical(material)}`))).slice(0, 32);
}

import { decodeBase64, encodeBase64 } from '../../xds/secrets/pem';
import { and, eq } from 'drizzle-orm';
import { webhooks } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { serviceUnavailable } from '../http/problem';
import { keyFor, secretKeyRing, secretKeys, type EncryptedBlob } from '../domain/secrets/crypto';

/**
 * Webhook signing secrets at rest: AES-256-GCM under the same SECRETS_KEY as TLS Secrets, bound to
 * `webhook:<name>` as additional data (TLS Secrets use `<namespace>/<name>`, so the two never swap).
 */
const enc = new TextEncoder();
const aadOf = (name: string) => enc.encode(`webhook:${name}`);

export async function encryptWebhookSecret(env: Env, name: string, secret: string): Promise<string> {
  const keys = await secretKeys(env);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(name) }, keys.aes, enc.encode(secret));
  const blob: EncryptedBlob = { alg: 'AES-256-GCM', keyId: keys.id, iv: encodeBase64(iv), data: encodeBase64(new Uint8Array(data)) };
  return JSON.stringify(blob);
}

/** The key id a stored secret was encrypted with: not the current one means it is due for re-encryption. */
export const keyIdOf = (stored: string) => (JSON.parse(stored) as EncryptedBlob).keyId;

/** The plaintext secret; a problem naming the webhook (never the secret) when it cannot be read. */
export async function decryptWebhookSecret(env: Env, name: string, stored: string): Promise<string> {
  const ring = await secretKeyRing(env);
  const blob = JSON.parse(stored) as EncryptedBlob;
  const keys = keyFor(ring, `the signing secret of webhook ${name}`, blob.keyId);
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: decodeBase64(blob.iv)!, additionalData: aadOf(name) }, keys.aes, decodeBase64(blob.data)!);
    return new TextDecoder().decode(plain);
  } catch {
    throw serviceUnavailable(`the signing secret of webhook ${name} cannot be decrypted: it was altered`);
  }
}

/**
 * Re-encryption on read, after a SECRETS_KEY rotation: a signing secret read with SECRETS_KEY_PREVIOUS
 * is stored again under SECRETS_KEY (only if the row still holds what was read), so the previous key
 * can be dropped once every webhook has delivered once.
 */
export async function rewrapWebhookSecret(env: Env, name: string, stored: string, secret: string): Promise<void> {
  if (keyIdOf(stored) === (await secretKeys(env)).id) return;
  const db = openDatabase(env.DB);
  await db.update(webhooks).set({ secretCipher: await encryptWebhookSecret(env, name, secret) }).where(and(eq(webhooks.name, name), eq(webhooks.secretCipher, stored)));
}

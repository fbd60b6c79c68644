import { decodeBase64, encodeBase64 } from '../../xds/secrets/pem';
import type { Env } from '../env';
import { serviceUnavailable } from '../http/problem';
import { secretKeys, type EncryptedBlob } from '../domain/secrets/crypto';

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

/** The plaintext secret; a problem naming the webhook (never the secret) when it cannot be read. */
export async function decryptWebhookSecret(env: Env, name: string, stored: string): Promise<string> {
  const keys = await secretKeys(env);
  const blob = JSON.parse(stored) as EncryptedBlob;
  if (blob.keyId !== keys.id) throw serviceUnavailable(`the signing secret of webhook ${name} was encrypted with another SECRETS_KEY (key id ${blob.keyId}, configured ${keys.id}); restore that key or PUT the webhook with a new secret`);
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: decodeBase64(blob.iv)!, additionalData: aadOf(name) }, keys.aes, decodeBase64(blob.data)!);
    return new TextDecoder().decode(plain);
  } catch {
    throw serviceUnavailable(`the signing secret of webhook ${name} cannot be decrypted: it was altered`);
  }
}

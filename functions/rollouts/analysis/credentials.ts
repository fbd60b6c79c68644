import { decodeBase64, encodeBase64 } from '../../../xds/secrets/pem';
import { keyFor, secretKeyRing, secretKeys, type EncryptedBlob } from '../../domain/secrets/crypto';
import type { Env } from '../../env';
import type { AnalysisRequest, Provider } from './schema';

/**
 * The provider's bearer token or basic-auth password at rest, as webhook signing secrets are kept:
 * AES-256-GCM under SECRETS_KEY, bound to `rollout-analysis:<id>` as additional data (webhooks use
 * `webhook:<name>`, TLS Secrets `<namespace>/<name>`), so a cipher moved to another row does not open.
 */
const enc = new TextEncoder();
const aadOf = (rollout: number) => enc.encode(`rollout-analysis:${rollout}`);

export async function storedProvider(env: Env, rollout: number, req: AnalysisRequest['provider']): Promise<Provider> {
  const { url, timeoutSeconds } = req;
  const secret = req.bearerToken ?? req.basicAuth?.password;
  const base: Provider = { ...(req.from === 'bridge' ? { from: 'bridge' } : { url }), timeoutSeconds, auth: req.bearerToken ? 'bearer' : req.basicAuth ? 'basic' : 'none', ...(req.basicAuth ? { username: req.basicAuth.username } : {}) };
  if (secret === undefined) return base;
  const keys = await secretKeys(env);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(rollout) }, keys.aes, enc.encode(secret));
  const blob: EncryptedBlob = { alg: 'AES-256-GCM', keyId: keys.id, iv: encodeBase64(iv), data: encodeBase64(new Uint8Array(data)) };
  return { ...base, credential: JSON.stringify(blob) };
}

/** The Authorization header for the provider; throws a message naming the problem (never the secret). */
export async function authorizationOf(env: Env, rollout: number, p: Provider): Promise<string | undefined> {
  if (p.auth === 'none') return undefined;
  if (!p.credential) throw new Error('the provider credential was not stored (the creating request did not finish)');
  const blob = JSON.parse(p.credential) as EncryptedBlob;
  // SECRETS_KEY, or SECRETS_KEY_PREVIOUS while a rotation is under way (the keyring TLS secrets are read with).
  const keys = keyFor(await secretKeyRing(env), 'the provider credential', blob.keyId);
  let secret: string;
  try {
    secret = new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: decodeBase64(blob.iv)!, additionalData: aadOf(rollout) }, keys.aes, decodeBase64(blob.data)!));
  } catch {
    throw new Error('the provider credential cannot be decrypted: it was altered');
  }
  return p.auth === 'bearer' ? `Bearer ${secret}` : `Basic ${encodeBase64(enc.encode(`${p.username}:${secret}`))}`;
}

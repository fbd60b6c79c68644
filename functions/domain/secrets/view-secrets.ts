import { hashContent, type View } from '../../../xds';
import { buildEnvoySecret } from '../../../xds/secrets/envoy-secret';
import { lookupNamespace, refsOfView, resolveSdsNames } from '../../../xds/secrets/references';
import type { TlsMaterial } from '../../../xds/secrets/tls-secret';
import type { Env } from '../../env';
import type { SecretState } from '../config/config-cache';
import { decryptMaterial, secretKeyRing } from './crypto';
import { secretAad, type StoredSecretSpec } from './stored';

export interface ServedSecrets {
  /** A hash over names and keyed digests: changes with the secrets, reveals nothing of them. */
  version: string;
  resources: Record<string, unknown>[];
}

// Decrypted once per config and isolate: polls of an unchanged config cost no AES work.
const plaintexts = new WeakMap<SecretState, Map<string, Promise<TlsMaterial>>>();

function materialOf(env: Env, config: SecretState, key: string, spec: StoredSecretSpec): Promise<TlsMaterial> {
  let memo = plaintexts.get(config);
  if (!memo) plaintexts.set(config, (memo = new Map()));
  let material = memo.get(key);
  if (!material) {
    material = secretKeyRing(env).then((ring) => decryptMaterial(ring, key, spec.encrypted));
    material.catch(() => memo.delete(key));
    memo.set(key, material);
  }
  return material;
}

/**
 * The Secrets a view references (`sdsNames`: sdsNamesOfView) (only those: a poller gets no secret its own config does not
 * name), optionally narrowed to the names it asked for. A Gateway's come from its proxy's namespace
 * only (lookupNamespace). Unknown, unreferenced or ambiguous names are left out, as EDS leaves out unknown clusters.
 */
export async function secretsForView(env: Env, config: SecretState, view: View, sdsNames: string[], names?: string[]): Promise<ServedSecrets> {
  let targets = resolveSdsNames(sdsNames, refsOfView(config.credentialRefs, view), (r) => [lookupNamespace(r, view)]);
  if (names) targets = targets.filter((t) => names.includes(t.sdsName));
  const resources: Record<string, unknown>[] = [];
  const parts: string[] = [];
  for (const t of targets) {
    if (t.namespaces.length !== 1) continue;
    const key = secretAad(t.namespaces[0]!, t.credentialName);
    const spec = config.secrets.get(key)?.spec as StoredSecretSpec | undefined;
    if (!spec) continue;
    const secret = buildEnvoySecret(t.sdsName, t.part, await materialOf(env, config, key, spec));
    if (!secret) continue;
    resources.push(secret);
    parts.push(`${t.sdsName}=${spec.digest}`);
  }
  return { version: hashContent(parts.join('\n')), resources };
}

import { bodyOf, childrenOf, decodeOid, DerError, encodeOid, encodeTlv, expectTag, readOne, TAG } from './der';
import type { PemBlock } from './pem';
import type { ParsedCertificate } from './x509';

const RSA = '1.2.840.113549.1.1.1';
const EC = '1.2.840.10045.2.1';
const CURVES: Record<string, string> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };

/** A private key as WebCrypto imports it: PKCS#8 DER plus the algorithm to import it with. */
export interface PrivateKeyDer {
  pkcs8: Uint8Array;
  algorithm: KeyAlgorithmParams;
}

type KeyAlgorithmParams = { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' } | { name: 'ECDSA'; namedCurve: string };
const curveOf = (a: KeyAlgorithmParams) => (a.name === 'ECDSA' ? a.namedCurve : undefined);

const UNSUPPORTED = 'use an RSA or ECDSA (P-256, P-384, P-521) key, as Envoy does';

function algorithmOf(oid: string, curve: string | undefined): PrivateKeyDer['algorithm'] {
  if (oid === RSA) return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (oid === EC && curve && CURVES[curve]) return { name: 'ECDSA', namedCurve: CURVES[curve]! };
  throw new DerError(`key algorithm ${oid}${curve ? ` (curve ${curve})` : ''} is not supported: ${UNSUPPORTED}`);
}

const version0 = encodeTlv(TAG.INTEGER, new Uint8Array([0]));
const nullParams = encodeTlv(TAG.NULL);

/**
 * The key of a PEM block: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
 * (`EC PRIVATE KEY`, what openssl and cert-manager write); the last two are wrapped into PKCS#8,
 * the only private-key form WebCrypto imports. Throws DerError with the reason.
 */
export function privateKeyOf(block: PemBlock): PrivateKeyDer {
  const der = block.der;
  try {
    if (block.label === 'PRIVATE KEY') {
      const [, algId] = childrenOf(der, expectTag(readOne(der), TAG.SEQUENCE, 'a PrivateKeyInfo'));
      const [oid, params] = childrenOf(der, expectTag(algId, TAG.SEQUENCE, 'an AlgorithmIdentifier'));
      const curve = params?.tag === TAG.OID ? decodeOid(bodyOf(der, params)) : undefined;
      return { pkcs8: der, algorithm: algorithmOf(decodeOid(bodyOf(der, expectTag(oid, TAG.OID, 'a key algorithm'))), curve) };
    }
    if (block.label === 'RSA PRIVATE KEY') {
      expectTag(readOne(der), TAG.SEQUENCE, 'an RSAPrivateKey');
      const pkcs8 = encodeTlv(TAG.SEQUENCE, version0, encodeTlv(TAG.SEQUENCE, encodeOid(RSA), nullParams), encodeTlv(TAG.OCTET_STRING, der));
      return { pkcs8, algorithm: algorithmOf(RSA, undefined) };
    }
    if (block.label === 'EC PRIVATE KEY') {
      const fields = childrenOf(der, expectTag(readOne(der), TAG.SEQUENCE, 'an ECPrivateKey'));
      const params = fields.find((f) => f.tag === 0xa0);
      const [curveOid] = params ? childrenOf(der, params) : [];
      if (!curveOid) throw new DerError('the EC key does not name its curve');
      const curve = decodeOid(bodyOf(der, expectTag(curveOid, TAG.OID, 'a curve')));
      const pkcs8 = encodeTlv(TAG.SEQUENCE, version0, encodeTlv(TAG.SEQUENCE, encodeOid(EC), encodeOid(curve)), encodeTlv(TAG.OCTET_STRING, der));
      return { pkcs8, algorithm: algorithmOf(EC, curve) };
    }
  } catch (err) {
    if (err instanceof DerError) throw err;
    throw new DerError(`the ${block.label} block is not a valid key (${(err as Error).message})`);
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY') throw new DerError('the key is encrypted: Envoy needs it unencrypted, as kubernetes.io/tls Secrets hold it');
  throw new DerError(`expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block, found ${block.label}`);
}

const publicJwk = (jwk: JsonWebKey) => (jwk.kty === 'RSA' ? `${jwk.n}.${jwk.e}` : `${jwk.crv}.${jwk.x}.${jwk.y}`);

/**
 * Whether the private key belongs to the certificate: both are imported through WebCrypto and
 * their public parts compared (RSA modulus and exponent, EC point). Throws when WebCrypto refuses
 * the key itself (a malformed or unsupported key).
 */
export async function keyMatchesCertificate(key: PrivateKeyDer, cert: ParsedCertificate): Promise<boolean> {
  let privateJwk: JsonWebKey;
  try {
    const imported = await crypto.subtle.importKey('pkcs8', key.pkcs8, key.algorithm, true, ['sign']);
    privateJwk = (await crypto.subtle.exportKey('jwk', imported)) as JsonWebKey;
  } catch (err) {
    throw new DerError(`the key cannot be read (${(err as Error).message})`);
  }
  const certAlg = algorithmOf(cert.keyAlgorithm, cert.curve);
  if (certAlg.name !== key.algorithm.name || curveOf(certAlg) !== curveOf(key.algorithm)) return false;
  const certKey = await crypto.subtle.importKey('spki', cert.spki, certAlg, true, ['verify']);
  return publicJwk((await crypto.subtle.exportKey('jwk', certKey)) as JsonWebKey) === publicJwk(privateJwk);
}

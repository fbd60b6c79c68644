import { bodyOf, bytesOf, childrenOf, decodeOid, decodeString, decodeTime, DerError, expectTag, readOne, TAG, toHex, type Tlv } from './der';

/** What a read of a Secret shows about a certificate: never more than a certificate itself makes public. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** subjectAltName entries as `DNS:…`, `IP:…`, `URI:…`, `email:…`. */
  subjectAltNames: string[];
}

export interface ParsedCertificate extends CertificateInfo {
  /** The DER SubjectPublicKeyInfo, for matching the private key. */
  spki: Uint8Array;
  /** OID of the public key algorithm (rsaEncryption, id-ecPublicKey, …) and EC curve if any. */
  keyAlgorithm: string;
  curve?: string;
}

const ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const SUBJECT_ALT_NAME = '2.5.29.17';

/** A Name as RFC 4514 writes it: the most specific RDN first, e.g. `CN=shop.example.com,O=Example Inc`. */
function nameOf(buf: Uint8Array, name: Tlv): string {
  const rdns = childrenOf(buf, expectTag(name, TAG.SEQUENCE, 'a Name'));
  return rdns
    .map((rdn) =>
      childrenOf(buf, expectTag(rdn, TAG.SET, 'a relative distinguished name'))
        .map((atv) => {
          const [type, value] = childrenOf(buf, expectTag(atv, TAG.SEQUENCE, 'an attribute'));
          const oid = decodeOid(bodyOf(buf, expectTag(type, TAG.OID, 'an attribute type')));
          return `${ATTRIBUTES[oid] ?? oid}=${decodeString(buf, value!).replace(/([,+"\\<>;])/g, '\\$1')}`;
        })
        .join('+'),
    )
    .reverse()
    .join(',');
}

function ipOf(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

function subjectAltNames(buf: Uint8Array, extensions: Tlv | undefined): string[] {
  if (!extensions) return [];
  const [list] = childrenOf(buf, extensions);
  for (const ext of childrenOf(buf, expectTag(list, TAG.SEQUENCE, 'extensions'))) {
    const parts = childrenOf(buf, ext);
    if (decodeOid(bodyOf(buf, expectTag(parts[0], TAG.OID, 'an extension id'))) !== SUBJECT_ALT_NAME) continue;
    const value = expectTag(parts.at(-1), TAG.OCTET_STRING, 'an extension value');
    const inner = bodyOf(buf, value);
    const names = readOne(inner);
    return childrenOf(inner, names).flatMap((gn) => {
      const body = bodyOf(inner, gn);
      switch (gn.tag) {
        case 0x82:
          return [`DNS:${new TextDecoder().decode(body)}`];
        case 0x87:
          return [`IP:${ipOf(body)}`];
        case 0x86:
          return [`URI:${new TextDecoder().decode(body)}`];
        case 0x81:
          return [`email:${new TextDecoder().decode(body)}`];
        default:
          return [];
      }
    });
  }
  return [];
}

/**
 * Reads an X.509 certificate's fields from DER (RFC 5280 §4.1): subject, issuer, validity, SANs and
 * the public key. Structure only: signatures are the TLS peer's business, as they are Envoy's.
 * Throws DerError when the bytes are not a certificate.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    const cert = readOne(der);
    const [tbs] = childrenOf(der, expectTag(cert, TAG.SEQUENCE, 'a Certificate'));
    const fields = childrenOf(der, expectTag(tbs, TAG.SEQUENCE, 'a TBSCertificate'));
    const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
    const [serial, , issuer, validity, subject, spki, ...optional] = rest;
    const [notBefore, notAfter] = childrenOf(der, expectTag(validity, TAG.SEQUENCE, 'a Validity'));
    const [algorithm] = childrenOf(der, expectTag(spki, TAG.SEQUENCE, 'a SubjectPublicKeyInfo'));
    const [algOid, params] = childrenOf(der, expectTag(algorithm, TAG.SEQUENCE, 'an AlgorithmIdentifier'));
    return {
      subject: nameOf(der, subject!),
      issuer: nameOf(der, issuer!),
      serialNumber: toHex(bodyOf(der, expectTag(serial, TAG.INTEGER, 'a serial number'))),
      notBefore: decodeTime(der, notBefore!).toISOString(),
      notAfter: decodeTime(der, notAfter!).toISOString(),
      subjectAltNames: subjectAltNames(der, optional.find((t) => t.tag === 0xa3)),
      spki: bytesOf(der, spki!),
      keyAlgorithm: decodeOid(bodyOf(der, expectTag(algOid, TAG.OID, 'a key algorithm'))),
      ...(params?.tag === TAG.OID ? { curve: decodeOid(bodyOf(der, params)) } : {}),
    };
  } catch (err) {
    if (err instanceof DerError || err instanceof TypeError || err instanceof RangeError) throw new DerError(`not a DER X.509 certificate (${err.message})`);
    throw err;
  }
}

/** The public part of a parsed certificate. */
export const certificateInfo = ({ subject, issuer, serialNumber, notBefore, notAfter, subjectAltNames }: ParsedCertificate): CertificateInfo => ({
  subject,
  issuer,
  serialNumber,
  notBefore,
  notAfter,
  subjectAltNames,
});

import { annotationProblems, labelProblems } from '../intent/common';
import { formatPath } from '../intent/errors';
import type { FieldError } from '../intent/types';
import { DerError } from './der';
import { decodeBase64, parsePem } from './pem';
import { keyMatchesCertificate, privateKeyOf } from './private-key';
import { certificateInfo, parseCertificate, type CertificateInfo, type ParsedCertificate } from './x509';

/** The PEM texts of a TLS secret: what is encrypted at rest and served over SDS. */
export interface TlsMaterial {
  'tls.crt': string;
  'tls.key': string;
  'ca.crt'?: string;
}

/** A validated Kubernetes `v1` Secret of type `kubernetes.io/tls`. */
export interface TlsSecret {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  material: TlsMaterial;
  /** The leaf certificate (first of tls.crt) and the chain's length. */
  certificate: CertificateInfo & { chainLength: number };
  /** The CA bundle (ca.crt): its first certificate and how many there are. */
  caCertificate?: CertificateInfo & { count: number };
}

export type ValidateSecretResult = { ok: true; secret: TlsSecret; warnings: FieldError[] } | { ok: false; errors: FieldError[] };

const KEYS = ['tls.crt', 'tls.key', 'ca.crt'] as const;
const TOP = new Set(['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData']);
const METADATA = new Set(['name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'generation', 'creationTimestamp']);
const DNS1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/** Reads `data` (base64) and `stringData` (plain; wins over data, as in Kubernetes); returns each key's text and the field it came from. */
function readEntries(body: Record<string, unknown>, errors: FieldError[]): Map<string, { text: string; path: string }> {
  const out = new Map<string, { text: string; path: string }>();
  for (const field of ['data', 'stringData'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (!isStringMap(value)) {
      errors.push({ path: field, message: 'expected a map of strings' });
      continue;
    }
    for (const [key, raw] of Object.entries(value)) {
      const path = `${field}["${key}"]`;
      if (!(KEYS as readonly string[]).includes(key)) {
        errors.push({ path, message: `a kubernetes.io/tls Secret holds ${KEYS.join(', ')}; this key would not be served` });
        continue;
      }
      if (field === 'stringData') {
        out.set(key, { text: raw, path });
        continue;
      }
      const bytes = decodeBase64(raw.replace(/\s+/g, ''));
      if (!bytes) errors.push({ path, message: 'not valid base64 (data values are base64; put PEM text in stringData instead)' });
      else out.set(key, { text: new TextDecoder().decode(bytes), path });
    }
  }
  return out;
}

/** Every CERTIFICATE block of a PEM text, parsed; errors name `path`. */
function certificates(text: string, path: string, errors: FieldError[]): ParsedCertificate[] {
  try {
    const blocks = parsePem(text);
    if (!blocks.length) throw new DerError('no PEM block found: expected -----BEGIN CERTIFICATE-----');
    return blocks.map((b, i) => {
      if (b.label !== 'CERTIFICATE') throw new DerError(`block ${i + 1} is a ${b.label}, not a CERTIFICATE`);
      try {
        return parseCertificate(b.der);
      } catch (err) {
        throw new DerError(`certificate ${i + 1}: ${(err as Error).message}`);
      }
    });
  } catch (err) {
    errors.push({ path, message: (err as Error).message });
    return [];
  }
}

function metadataErrors(metadata: unknown, errors: FieldError[]): void {
  if (!isRecord(metadata)) return void errors.push({ path: 'metadata', message: 'required: an object with name' });
  if (typeof metadata.name !== 'string' || !DNS1123.test(metadata.name) || metadata.name.length > 253) errors.push({ path: 'metadata.name', message: 'required: a DNS-1123 name (lower case letters, digits, "-" and ".")' });
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !DNS1123.test(metadata.namespace))) errors.push({ path: 'metadata.namespace', message: 'must be a DNS-1123 label' });
  for (const f of ['labels', 'annotations'] as const) if (metadata[f] !== undefined && !isStringMap(metadata[f])) errors.push({ path: `metadata.${f}`, message: 'expected a map of strings' });
  for (const [f, problems] of [['labels', labelProblems], ['annotations', annotationProblems]] as const) if (isStringMap(metadata[f])) for (const p of problems(metadata[f])) errors.push({ path: formatPath(['metadata', f, p.key]), message: p.message });
  for (const k of Object.keys(metadata)) if (!METADATA.has(k)) errors.push({ path: `metadata.${k}`, message: 'unknown field' });
}

/**
 * Validates a Kubernetes TLS Secret as Istio users keep them: PEM certificates that parse, one
 * private key that belongs to the leaf certificate, an optional CA bundle. Every error names its
 * field (`data["tls.crt"]`); an expired certificate is only a warning (Envoy would still serve it).
 */
export async function validateTlsSecret(body: unknown, now = new Date()): Promise<ValidateSecretResult> {
  if (!isRecord(body)) return { ok: false, errors: [{ path: '', message: 'expected a Secret object' }] };
  const errors: FieldError[] = [];
  if (body.apiVersion !== 'v1') errors.push({ path: 'apiVersion', message: 'expected "v1"' });
  if (body.kind !== 'Secret') errors.push({ path: 'kind', message: 'expected "Secret"' });
  if (body.type !== 'kubernetes.io/tls') errors.push({ path: 'type', message: 'expected "kubernetes.io/tls": only TLS secrets (tls.crt, tls.key, ca.crt) are served over SDS' });
  for (const k of Object.keys(body)) if (!TOP.has(k)) errors.push({ path: k, message: k === 'immutable' ? 'not supported: every change to a Secret is a revision' : 'unknown field' });
  metadataErrors(body.metadata, errors);
  const entries = readEntries(body, errors);
  const named = (key: string) => errors.some((e) => e.path.endsWith(`["${key}"]`));
  for (const key of ['tls.crt', 'tls.key'] as const) if (!entries.has(key) && !named(key) && body.type === 'kubernetes.io/tls') errors.push({ path: `data["${key}"]`, message: 'required in a kubernetes.io/tls Secret' });
  if (errors.length) return { ok: false, errors };

  const crt = entries.get('tls.crt')!;
  const chain = certificates(crt.text, crt.path, errors);
  const ca = entries.get('ca.crt');
  const cas = ca ? certificates(ca.text, ca.path, errors) : [];
  const keyEntry = entries.get('tls.key')!;
  try {
    const blocks = parsePem(keyEntry.text);
    if (blocks.length !== 1) throw new DerError(blocks.length ? `expected one private key, found ${blocks.length} PEM blocks` : 'no PEM block found: expected -----BEGIN PRIVATE KEY-----');
    const key = privateKeyOf(blocks[0]!);
    if (chain[0] && !(await keyMatchesCertificate(key, chain[0]))) throw new DerError(`the key does not belong to the certificate in ${crt.path} (its public key differs)`);
  } catch (err) {
    errors.push({ path: keyEntry.path, message: (err as Error).message });
  }
  if (errors.length) return { ok: false, errors };

  const leaf = chain[0]!;
  const warnings: FieldError[] = [];
  if (new Date(leaf.notAfter) <= now) warnings.push({ path: crt.path, message: `the certificate expired at ${leaf.notAfter}; clients will refuse it` });
  const metadata = body.metadata as Record<string, unknown>;
  const material: TlsMaterial = { 'tls.crt': crt.text, 'tls.key': keyEntry.text, ...(ca ? { 'ca.crt': ca.text } : {}) };
  return {
    ok: true,
    warnings,
    secret: {
      name: metadata.name as string,
      ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
      labels: (metadata.labels as Record<string, string> | undefined) ?? {},
      annotations: (metadata.annotations as Record<string, string> | undefined) ?? {},
      material,
      certificate: { ...certificateInfo(leaf), chainLength: chain.length },
      ...(cas[0] ? { caCertificate: { ...certificateInfo(cas[0]), count: cas.length } } : {}),
    },
  };
}

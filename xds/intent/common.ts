import { z } from 'zod';
import { parseDuration } from './duration';

/** Istio's API group versions we accept; all three share one shape for the supported subset. */
export const API_VERSIONS = [
  'networking.istio.io/v1',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
] as const;

/** Metadata key (also shown in the generated JSON Schema) listing an object's Istio fields not supported yet. */
export const UNSUPPORTED_META = 'x-istio-unsupported';

/** Metadata key of the Istio fields an object refuses for good, each with the reason it cannot be honoured here. */
export const REFUSED_META = 'x-istio-refused';

/** The Istio fields `schema` knows but rejects as not supported yet (empty for other schemas). */
export function unsupportedFieldsOf(schema: z.core.$ZodType | undefined): readonly string[] {
  const meta = schema && z.globalRegistry.get(schema as z.ZodType);
  const list = meta?.[UNSUPPORTED_META];
  return Array.isArray(list) ? list : [];
}

/** Why `schema` refuses an Istio field it cannot honour (undefined for other fields and schemas). */
export function refusalOf(schema: z.core.$ZodType | undefined, field: string): string | undefined {
  const meta = schema && z.globalRegistry.get(schema as z.ZodType);
  const reasons = meta?.[REFUSED_META] as Record<string, string> | undefined;
  return reasons && Object.hasOwn(reasons, field) ? reasons[field] : undefined;
}

/**
 * A strict object schema (unknown keys are errors). `unsupported` lists the Istio fields of this object
 * that this control plane does not implement yet, so their error says so instead of "unknown field";
 * `refused` the ones it cannot honour at all, each with the reason its error gives. Kept as schema
 * metadata, which zod carries over to refined copies.
 */
export function istioObject<S extends z.core.$ZodLooseShape>(shape: S, unsupported: readonly string[] = [], refused: Readonly<Record<string, string>> = {}) {
  const schema = z.strictObject(shape);
  const meta = { ...(unsupported.length ? { [UNSUPPORTED_META]: [...unsupported] } : {}), ...(Object.keys(refused).length ? { [REFUSED_META]: { ...refused } } : {}) };
  return Object.keys(meta).length ? schema.meta(meta) : schema;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Istio's host labels are case-insensitive DNS labels.
const HOST_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** A DNS name (short or fully qualified, a trailing dot not allowed), optionally `*.`-prefixed. */
export function isHostname(s: string, { wildcard }: { wildcard: boolean }): boolean {
  const name = wildcard && s.startsWith('*.') ? s.slice(2) : s;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => l.length <= 63 && HOST_LABEL.test(l));
}

export function isIp(s: string): boolean {
  return z.ipv4().safeParse(s).success || z.ipv6().safeParse(s).success;
}

export function isIpOrCidr(s: string): boolean {
  return isIp(s) || z.cidrv4().safeParse(s).success || z.cidrv6().safeParse(s).success;
}

/** A Kubernetes label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name ≤63 characters. */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1 && !isDns1123Subdomain(key.slice(0, slash))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

/** A DNS-1123 label, as Kubernetes names namespaces and Istio names subsets and ports. */
export const Dns1123LabelSchema = z
  .string()
  .refine(isDns1123Label, 'must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit');

const KEY_RULE = 'expected [prefix/]name: an optional DNS-1123 subdomain prefix of at most 253 characters, and a name of at most 63 letters, digits, "-", "_" or "." starting and ending with a letter or digit';

/** What is wrong with each entry of a label map, by key, as Kubernetes' label rules judge it. */
export function labelProblems(labels: Record<string, string>): { key: string; message: string }[] {
  return Object.entries(labels).flatMap(([key, value]) => {
    if (!isQualifiedName(key)) return [{ key, message: `invalid label key "${key}": ${KEY_RULE}` }];
    if (!isLabelValue(value)) return [{ key, message: `invalid label value "${value}": at most 63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit` }];
    return [];
  });
}

/** What is wrong with each key of an annotation map (annotation keys follow the label key rules). */
export function annotationProblems(annotations: Record<string, string>): { key: string; message: string }[] {
  return Object.keys(annotations).flatMap((key) => (isQualifiedName(key) ? [] : [{ key, message: `invalid annotation key "${key}": ${KEY_RULE}` }]));
}

const mapSchema = (problems: (map: Record<string, string>) => { key: string; message: string }[]) =>
  z.record(z.string(), z.string()).superRefine((map, ctx) => {
    for (const { key, message } of problems(map)) ctx.addIssue({ code: 'custom', path: [key], message });
  });

/** A Kubernetes label map (keys and values follow Kubernetes' label rules). */
export const LabelsSchema = mapSchema(labelProblems);

export const AnnotationsSchema = mapSchema(annotationProblems);

/** `exportTo`: `.`, `*`, `~` or namespace names: which proxies see the object, by their namespace (translate/export-scopes.ts). */
export const ExportToSchema = z.array(
  z.string().refine((s) => s === '.' || s === '*' || s === '~' || isDns1123Label(s), 'must be ".", "*", "~" or a namespace name'),
);

export const PortNumberSchema = z.int().min(1).max(65535);

/** Istio's PortSelector: the port of a destination service. */
export const PortSelectorSchema = istioObject({ number: PortNumberSchema });
export type PortSelector = z.infer<typeof PortSelectorSchema>;

/** A Go-style duration ("5s", "0.5s", "1m30s", "100ms"), kept as written; see `parseDuration`. */
export const DurationSchema = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration such as "5s", "0.5s", "100ms", "1m" or "1h"');

/** Istio's port protocols, case-insensitive on input, normalised to upper case. */
export const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'REDIS', 'MYSQL', 'TCP', 'TLS', 'UDP'] as const;

/** A protocol schema accepting `supported` (any case, normalised to upper case) and explaining the rest. */
export function protocolSchema<const P extends (typeof PROTOCOLS)[number]>(supported: readonly [P, ...P[]]) {
  const list = supported.join(', ');
  return z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(
      z.enum(supported, {
        error: (iss) => {
          const s = String(iss.input);
          return (PROTOCOLS as readonly string[]).includes(s)
            ? `protocol ${s} is not supported yet; supported: ${list}`
            : `unknown protocol "${s}"; supported: ${list}`;
        },
      }),
    );
}

/** Server-set metadata fields a client may send back unchanged (a GET result PUT back); dropped on input. */
export const READ_ONLY_METADATA = ['resourceVersion', 'generation', 'creationTimestamp', 'uid', 'selfLink', 'managedFields'] as const;

export const ObjectMetaSchema = istioObject(
  {
    name: z.string().refine(isDns1123Subdomain, 'must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit'),
    namespace: Dns1123LabelSchema.optional(),
    labels: LabelsSchema.optional(),
    annotations: AnnotationsSchema.optional(),
    // Read-only server fields (READ_ONLY_METADATA): accepted so a GET result can be PUT back, then dropped.
    resourceVersion: z.unknown().optional(),
    generation: z.unknown().optional(),
    creationTimestamp: z.unknown().optional(),
    uid: z.unknown().optional(),
    selfLink: z.unknown().optional(),
    managedFields: z.unknown().optional(),
  },
  ['generateName', 'finalizers', 'ownerReferences', 'deletionTimestamp', 'deletionGracePeriodSeconds'],
);

/** The envelope of one kind: `apiVersion`, `kind`, `metadata`, `spec` (and an ignored `status`). */
export function intentSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return istioObject({
    apiVersion: z.enum(API_VERSIONS),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: z.unknown().optional(),
  });
}

/** `mesh`, `name` or `namespace/name`: a VirtualService's (or one match's) gateways. */
function isGatewayRef(s: string): boolean {
  if (s === 'mesh') return true;
  const parts = s.split('/');
  if (parts.length === 1) return isDns1123Subdomain(s);
  return parts.length === 2 && isDns1123Label(parts[0]!) && isDns1123Subdomain(parts[1]!);
}

export const GatewayRefsSchema = z.array(z.string().refine(isGatewayRef, 'must be "mesh", a gateway name or "namespace/name"'));

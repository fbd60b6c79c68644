import { API_VERSIONS } from './common';
import { describeValue, errorMap, prefixPath, toFieldErrors } from './errors';
import type { AnyIntent } from './kinds';
import { INTENT_SCHEMAS, isIntentKind, KINDS } from './kinds';
import type { FieldError, ObjectMeta } from './types';
import type { VirtualServiceSpec } from './virtual-service';

export interface ValidateIntentOptions {
  /** The namespace the object is written to (e.g. from the URL); fills a missing `metadata.namespace`. */
  namespace?: string;
  /** A prefix for every path, e.g. `[2]` for the third document of a manifest. */
  path?: string;
}

export type ValidateIntentResult =
  | { ok: true; object: AnyIntent; warnings: FieldError[] }
  | { ok: false; errors: FieldError[] };

const DEFAULT_NAMESPACE = 'default';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one Istio object strictly and returns it normalised: protocols upper-cased, the namespace
 * filled in, server-set metadata and `status` dropped. Nothing else is defaulted. Errors and warnings
 * carry the offending field's path, e.g. `spec.http[1].route[0].weight`.
 */
export function validateIntent(input: unknown, opts: ValidateIntentOptions = {}): ValidateIntentResult {
  const at = (path: string, message: string): FieldError => ({ path: prefixPath(opts.path, path), message });
  if (!isRecord(input)) return { ok: false, errors: [at('', `expected an object, got ${describeValue(input)}`)] };

  const { kind } = input;
  if (!isIntentKind(kind)) {
    const errors = [at('kind', kind === undefined ? `required: one of ${KINDS.join(', ')}` : `unsupported kind ${describeValue(kind)}; expected one of ${KINDS.join(', ')}`)];
    if (!(API_VERSIONS as readonly unknown[]).includes(input.apiVersion)) {
      errors.unshift(at('apiVersion', input.apiVersion === undefined ? `required: one of ${API_VERSIONS.join(', ')}` : `expected one of ${API_VERSIONS.join(', ')}; got ${describeValue(input.apiVersion)}`));
    }
    return { ok: false, errors };
  }

  const parsed = INTENT_SCHEMAS[kind].safeParse(input, { error: errorMap, reportInput: true });
  const errors = parsed.success ? [] : toFieldErrors(parsed.error.issues, opts.path);

  const given = isRecord(input.metadata) ? input.metadata.namespace : undefined;
  if (opts.namespace !== undefined && typeof given === 'string' && given !== opts.namespace) {
    errors.push(at('metadata.namespace', `namespace "${given}" does not match the namespace "${opts.namespace}" it is written to`));
  }
  if (!parsed.success || errors.length > 0) return { ok: false, errors };

  const { apiVersion, metadata, spec } = parsed.data;
  const meta: ObjectMeta = { name: metadata.name, namespace: metadata.namespace ?? opts.namespace ?? DEFAULT_NAMESPACE };
  if (metadata.labels !== undefined) meta.labels = metadata.labels;
  if (metadata.annotations !== undefined) meta.annotations = metadata.annotations;
  const object = { apiVersion, kind, metadata: meta, spec } as AnyIntent;

  const warnings = [...(object.kind === 'VirtualService' ? weightWarnings(object.spec) : []), ...notEnforcedWarnings(object)];
  return { ok: true, object, warnings: warnings.map((w) => at(w.path, w.message)) };
}

/** Relative weights are fine, as in Istio, but a sum other than 100 is worth pointing out. */
function weightWarnings(spec: VirtualServiceSpec): FieldError[] {
  const warnings: FieldError[] = [];
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    spec[kind]?.forEach((route, i) => {
      if (!route.route || route.route.length < 2) return;
      const sum = route.route.reduce((total, d) => total + (d.weight ?? 0), 0);
      if (sum !== 100) warnings.push({ path: `spec.${kind}[${i}].route`, message: `weights sum to ${sum}; each destination gets weight/sum` });
    });
  }
  return warnings;
}

/** Fields accepted for compatibility with existing manifests but not acted on yet: say so, never silently. */
function notEnforcedWarnings(object: AnyIntent): FieldError[] {
  const warnings: FieldError[] = [];
  if (object.kind === 'ServiceEntry') {
    if (object.spec.addresses?.length) warnings.push({ path: 'spec.addresses', message: 'addresses are stored but not used yet: listeners match on port, not on these addresses' });
    object.spec.endpoints?.forEach((ep, i) => {
      if (ep.network !== undefined) warnings.push({ path: `spec.endpoints[${i}].network`, message: 'network is stored but not used: endpoints are treated as one network' });
    });
  }
  return warnings;
}

import { parseObjectBody } from './manifest';
import { validateIntent } from './validate';
import type { ValidateIntentOptions, ValidateIntentResult } from './validate';

/** Validates one YAML object, as the API would for a PUT body. */
export function validateYaml(yaml: string, opts?: ValidateIntentOptions): ValidateIntentResult {
  const body = parseObjectBody(yaml, 'application/yaml');
  if (!body.ok) throw new Error(`fixture is not YAML: ${JSON.stringify(body.errors)}`);
  return validateIntent(body.object, opts);
}

/** The errors of a result expected to fail (an empty list when it passed, so assertions show it). */
export function errorsOf(result: ValidateIntentResult) {
  return result.ok ? [] : result.errors;
}

/** A deep copy with `edit` applied, to derive a bad object from a good one. */
export function edited<T>(value: T, edit: (copy: T) => void): T {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

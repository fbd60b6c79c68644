import type { z } from 'zod';
import type { EnvoyConfigObjectPatch } from './envoy-filter-patch';
import { checkFilterPatch } from './envoy-filter-rules-filters';
import { type At, FILTER_TARGETS, TARGETS } from './envoy-filter-targets';

/** The first null in a JSON value: proto3 JSON null means "unset", which a patch cannot express. */
function findNull(value: unknown, path: (string | number)[]): (string | number)[] | undefined {
  if (value === null) return path;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const at = findNull(v, [...path, i]);
      if (at) return at;
    }
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = findNull(v, [...path, k]);
      if (at) return at;
    }
  }
  return undefined;
}

/** Names are how patches and references find clusters, listeners, route configurations and virtual hosts. */
const NAMED_BY_REFERENCE = ['CLUSTER', 'LISTENER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST'];

/**
 * Cross-field rules of one `configPatches[]` entry; every problem names its field. Match fields
 * Istio accepts and ignores are warnings instead (envoy-filter-ignored.ts).
 */
export function checkConfigPatch(cp: EnvoyConfigObjectPatch, ctx: z.core.$RefinementCtx<EnvoyConfigObjectPatch>): void {
  const at: At = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  const { applyTo, match = {}, patch } = cp;
  const op = patch.operation;
  const target = TARGETS[applyTo];
  for (const other of (['cluster', 'listener', 'routeConfiguration'] as const).filter((k) => k !== target.key && match[k] !== undefined)) {
    at(['match', other], `does not apply to ${applyTo}; a ${applyTo} patch matches with match.${target.key}`);
  }
  if (!target.operations.includes(op)) at(['patch', 'operation'], `${op} does not apply to ${applyTo}; use one of ${target.operations.join(', ')}`);

  const value = patch.value;
  if (op === 'REMOVE' && value !== undefined) at(['patch', 'value'], 'REMOVE takes no value');
  if (op !== 'REMOVE' && value === undefined) at(['patch', 'value'], `required for ${op}: the ${target.value} in proto3 JSON`);
  if (value !== undefined) {
    const nullAt = findNull(value, ['patch', 'value']);
    if (nullAt) at(nullAt, 'null cannot be patched in (proto3 JSON null means unset); leave the field out, or REMOVE');
    if ('@type' in value) at(['patch', 'value', '@type'], `the value is the ${applyTo} itself, without "@type"`);
    // A route needs no name; everything else is found, and replaced on a second ADD, by its name.
    const adds = op === 'ADD' || op.startsWith('INSERT_');
    if (adds && applyTo !== 'HTTP_ROUTE' && (typeof value.name !== 'string' || value.name === '')) at(['patch', 'value', 'name'], `required for ${op}: the name of the new ${target.noun}`);
    if (op === 'MERGE' && value.name !== undefined && NAMED_BY_REFERENCE.includes(applyTo)) at(['patch', 'value', 'name'], 'a MERGE cannot rename what it patches (references to the name would break); match it by name instead');
  }
  if (FILTER_TARGETS.includes(applyTo)) checkFilterPatch(cp, at);
}

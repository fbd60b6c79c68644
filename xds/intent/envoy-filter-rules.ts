import type { z } from 'zod';
import type { EnvoyConfigObjectPatch } from './envoy-filter-patch';

type ApplyTo = EnvoyConfigObjectPatch['applyTo'];
type Operation = EnvoyConfigObjectPatch['patch']['operation'];

export const HCM_FILTER_NAME = 'envoy.filters.network.http_connection_manager';
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';

/** The operations each target takes (Istio's set; ROUTE_CONFIGURATION is MERGE only there too). */
const OPERATIONS: Record<ApplyTo, readonly Operation[]> = {
  CLUSTER: ['MERGE', 'ADD', 'REMOVE'],
  LISTENER: ['MERGE', 'ADD', 'REMOVE'],
  ROUTE_CONFIGURATION: ['MERGE'],
  VIRTUAL_HOST: ['MERGE', 'ADD', 'REMOVE'],
  HTTP_FILTER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
};

/** Which `match` key selects each target. */
const MATCH_KEY: Record<ApplyTo, 'cluster' | 'listener' | 'routeConfiguration'> = {
  CLUSTER: 'cluster',
  LISTENER: 'listener',
  HTTP_FILTER: 'listener',
  ROUTE_CONFIGURATION: 'routeConfiguration',
  VIRTUAL_HOST: 'routeConfiguration',
};

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

/** Cross-field rules of one `configPatches[]` entry; every problem names its field. */
export function checkConfigPatch(cp: EnvoyConfigObjectPatch, ctx: z.core.$RefinementCtx<EnvoyConfigObjectPatch>): void {
  const at = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const { applyTo, match = {}, patch } = cp;
  const op = patch.operation;
  const key = MATCH_KEY[applyTo];
  for (const other of (['cluster', 'listener', 'routeConfiguration'] as const).filter((k) => k !== key && match[k] !== undefined)) {
    at(['match', other], `does not apply to ${applyTo}; a ${applyTo} patch matches with match.${key}`);
  }
  if (!OPERATIONS[applyTo].includes(op)) at(['patch', 'operation'], `${op} does not apply to ${applyTo}; use one of ${OPERATIONS[applyTo].join(', ')}`);

  const value = patch.value;
  if (op === 'REMOVE' && value !== undefined) at(['patch', 'value'], 'REMOVE takes no value');
  if (op !== 'REMOVE' && value === undefined) at(['patch', 'value'], `required for ${op}: the ${applyTo === 'HTTP_FILTER' ? 'HTTP filter ({name, typed_config})' : applyTo.toLowerCase().replace('_', ' ')} in proto3 JSON`);
  if (value !== undefined) {
    const nullAt = findNull(value, ['patch', 'value']);
    if (nullAt) at(nullAt, 'null cannot be patched in (proto3 JSON null means unset); leave the field out, or REMOVE');
    if ('@type' in value) at(['patch', 'value', '@type'], `the value is the ${applyTo} itself, without "@type"`);
    const adds = op === 'ADD' || op.startsWith('INSERT_');
    if (adds && (typeof value.name !== 'string' || value.name === '')) at(['patch', 'value', 'name'], `required for ${op}: the name of the new ${applyTo === 'HTTP_FILTER' ? 'HTTP filter' : applyTo.toLowerCase().replace('_', ' ')}`);
    if (op === 'MERGE' && value.name !== undefined && applyTo !== 'HTTP_FILTER') at(['patch', 'value', 'name'], 'a MERGE cannot rename what it patches (references to the name would break); match it by name instead');
  }

  if (applyTo === 'CLUSTER' && op === 'ADD' && match.cluster?.name !== undefined) at(['match', 'cluster', 'name'], 'ADD adds a new cluster; a match does not apply to it');
  if (applyTo === 'LISTENER') {
    if (match.listener?.filterChain !== undefined) at(['match', 'listener', 'filterChain'], 'applies to HTTP_FILTER patches; a LISTENER patch matches the listener by name');
    if (op === 'ADD' && match.listener?.name !== undefined) at(['match', 'listener', 'name'], 'ADD adds a new listener; a match does not apply to it');
  }
  if (applyTo === 'ROUTE_CONFIGURATION' && match.routeConfiguration?.vhost !== undefined) at(['match', 'routeConfiguration', 'vhost'], 'applies to VIRTUAL_HOST patches');
  if (applyTo === 'VIRTUAL_HOST' && op === 'ADD' && match.routeConfiguration?.vhost !== undefined) at(['match', 'routeConfiguration', 'vhost'], 'ADD adds a new virtual host to the matched route configurations; a virtual host match does not apply to it');
  if (applyTo === 'HTTP_FILTER') checkHttpFilterPatch(cp, at);
}

function checkHttpFilterPatch(cp: EnvoyConfigObjectPatch, at: (path: (string | number)[], message: string) => void): void {
  const op = cp.patch.operation;
  const filter = cp.match?.listener?.filterChain?.filter;
  const base = ['match', 'listener', 'filterChain', 'filter'];
  if (filter?.name !== undefined && filter.name !== HCM_FILTER_NAME) at([...base, 'name'], `HTTP filters live in the ${HCM_FILTER_NAME} filter; other network filters are not supported yet`);
  const sub = filter?.subFilter?.name;
  const positional = op === 'ADD' || op === 'INSERT_FIRST';
  if (!positional && sub === undefined) at([...base, 'subFilter', 'name'], `required for ${op}: the HTTP filter to ${op === 'MERGE' ? 'merge into' : op === 'REMOVE' ? 'remove' : 'insert next to'}`);
  if (positional && sub !== undefined) at([...base, 'subFilter', 'name'], `${op} places the filter by position (${op === 'ADD' ? 'last before the router' : 'first'}); use INSERT_BEFORE or INSERT_AFTER to place it next to a filter`);
  if (sub === ROUTER_FILTER_NAME && (op === 'REMOVE' || op === 'INSERT_AFTER')) at([...base, 'subFilter', 'name'], `the router must stay the last HTTP filter: ${op} of it would leave a chain Envoy rejects`);
  const name = cp.patch.value?.name;
  if (op === 'MERGE' && name !== undefined && name !== sub) at(['patch', 'value', 'name'], `a MERGE cannot rename the filter; leave name out or make it "${sub}"`);
}

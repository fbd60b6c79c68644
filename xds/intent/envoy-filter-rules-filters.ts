import type { EnvoyConfigObjectPatch } from './envoy-filter-patch';
import { type At, filterMatchOf, HCM_FILTER_NAME, ROUTER_FILTER_NAME, TARGETS, TERMINAL_NETWORK_FILTERS } from './envoy-filter-targets';

const FILTER = ['match', 'listener', 'filterChain', 'filter'];

/**
 * Rules of listener, network and HTTP filter patches. Istio places them as its listener patching
 * does; what it would place where Envoy refuses the chain (after the terminal filter, which Envoy
 * requires last) or what it would do nothing with is refused here, saying why.
 */
export function checkFilterPatch(cp: EnvoyConfigObjectPatch, at: At): void {
  const { applyTo } = cp;
  const op = cp.patch.operation;
  const noun = TARGETS[applyTo].noun;
  const filter = cp.match?.listener?.filterChain?.filter;
  const { name, path } = filterMatchOf(cp);

  if (filter?.subFilter !== undefined && applyTo !== 'HTTP_FILTER') at([...FILTER, 'subFilter'], 'a subFilter match applies to HTTP_FILTER patches only (Istio refuses it elsewhere)');
  if (applyTo === 'HTTP_FILTER' && filter !== undefined && filter.name !== HCM_FILTER_NAME) at([...FILTER, 'name'], `HTTP filters live in the ${HCM_FILTER_NAME} filter; a patch matching another network filter reaches no HTTP filter`);

  // Without a name Istio removes nothing, and merges into every filter of the chain.
  if ((op === 'MERGE' || op === 'REMOVE') && name === undefined) at(path, `required for ${op}: the ${noun} to ${op === 'MERGE' ? 'merge into' : 'remove'}`);
  const merged = cp.patch.value?.name;
  if (op === 'MERGE' && name !== undefined && merged !== undefined && merged !== name) at(['patch', 'value', 'name'], `a MERGE cannot rename the filter; leave name out or make it "${name}"`);

  // HTTP_FILTER ADD goes before the router here (envoy-filter docs), so only these append after a terminal filter.
  const terminal = applyTo === 'HTTP_FILTER' ? [ROUTER_FILTER_NAME] : applyTo === 'NETWORK_FILTER' ? TERMINAL_NETWORK_FILTERS : [];
  const last = applyTo === 'HTTP_FILTER' ? 'the router' : 'the chain\'s terminal filter';
  if (applyTo === 'NETWORK_FILTER' && op === 'ADD') at(['patch', 'operation'], `Istio appends the filter after ${last} (${TERMINAL_NETWORK_FILTERS.join(', ')}), which Envoy requires to be last, so every chain would be rejected; use INSERT_BEFORE or INSERT_FIRST`);
  if (terminal.length && op === 'INSERT_AFTER' && name === undefined) at(path, `required for INSERT_AFTER: without it Istio appends the filter after ${last}, which Envoy requires to be last; name the ${noun} to insert after`);
  if (name !== undefined && terminal.includes(name) && (op === 'REMOVE' || op === 'INSERT_AFTER')) at(path, `${last} must stay the last ${noun}: ${op} of it would leave a chain Envoy rejects`);
}

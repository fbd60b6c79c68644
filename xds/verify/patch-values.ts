import { RESOURCE_TYPES } from '../envoy/type-urls';
import type { PatchTarget } from '../ir/envoy-filter';
import type { MeshIR } from '../ir/types';
import type { PreflightError } from './preflight';

/** The Envoy message a patch value is, per target. */
export const PATCH_VALUE_TYPES: Record<PatchTarget, string> = {
  CLUSTER: RESOURCE_TYPES.clusters,
  LISTENER: RESOURCE_TYPES.listeners,
  LISTENER_FILTER: 'type.googleapis.com/envoy.config.listener.v3.ListenerFilter',
  NETWORK_FILTER: 'type.googleapis.com/envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: RESOURCE_TYPES.routes,
  VIRTUAL_HOST: 'type.googleapis.com/envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'type.googleapis.com/envoy.config.route.v3.Route',
};

/**
 * Every EnvoyFilter patch value decoded strictly as its target message, whether or not it matches
 * anything yet: a misspelt field is refused on write, not when a matching resource appears.
 * (What a patch produces is then validated in full with the rendered resources.)
 */
export function checkPatchValues(ir: MeshIR, decodeStrict: (json: Record<string, unknown>) => void): PreflightError[] {
  const errors: PreflightError[] = [];
  for (const filter of ir.envoyFilters ?? []) {
    for (const p of filter.patches) {
      if (!p.value) continue;
      try {
        decodeStrict({ '@type': PATCH_VALUE_TYPES[p.applyTo], ...p.value });
      } catch (err) {
        errors.push({ path: `${p.path}.patch.value`, message: (err as Error).message, rule: 'proto3_json', object: filter.source, objectPath: `${p.path}.patch.value` });
      }
    }
  }
  return errors;
}

import type { DestinationRuleSpec } from './destination-rule';
import type { EnvoyFilterSpec } from './envoy-filter';
import { EnvoyFilterSchema } from './envoy-filter';
import { DestinationRuleSchema } from './destination-rule';
import type { GatewaySpec } from './gateway';
import { GatewaySchema } from './gateway';
import type { ServiceEntrySpec } from './service-entry';
import { ServiceEntrySchema } from './service-entry';
import type { IntentKind, IntentObject } from './types';
import type { VirtualServiceSpec } from './virtual-service';
import { VirtualServiceSchema } from './virtual-service';

/** The accepted kinds, in order of dependency (a VirtualService refers to ServiceEntry hosts, DR subsets). */
export const KINDS = ['ServiceEntry', 'DestinationRule', 'VirtualService', 'Gateway', 'EnvoyFilter'] as const satisfies readonly IntentKind[];

/** URL plural → kind, as in Kubernetes' REST paths (`/namespaces/{ns}/virtualservices/{name}`). */
export const PLURALS = {
  gateways: 'Gateway',
  virtualservices: 'VirtualService',
  destinationrules: 'DestinationRule',
  serviceentries: 'ServiceEntry',
  envoyfilters: 'EnvoyFilter',
} as const satisfies Record<string, IntentKind>;

export type IntentPlural = keyof typeof PLURALS;

/** The kind a URL plural names, or `undefined` for anything else (matched exactly, lower case). */
export function kindOfPlural(plural: string): IntentKind | undefined {
  return Object.hasOwn(PLURALS, plural) ? PLURALS[plural as IntentPlural] : undefined;
}

/** The URL plural of a kind. */
export function pluralOfKind(kind: IntentKind): IntentPlural {
  return (Object.keys(PLURALS) as IntentPlural[]).find((p) => PLURALS[p] === kind)!;
}

export function isIntentKind(kind: unknown): kind is IntentKind {
  return typeof kind === 'string' && (KINDS as readonly string[]).includes(kind);
}

/** The spec type of each kind. */
export interface IntentSpecs {
  ServiceEntry: ServiceEntrySpec;
  DestinationRule: DestinationRuleSpec;
  VirtualService: VirtualServiceSpec;
  Gateway: GatewaySpec;
  EnvoyFilter: EnvoyFilterSpec;
}

export type ServiceEntryIntent = IntentObject<'ServiceEntry', ServiceEntrySpec>;
export type DestinationRuleIntent = IntentObject<'DestinationRule', DestinationRuleSpec>;
export type VirtualServiceIntent = IntentObject<'VirtualService', VirtualServiceSpec>;
export type GatewayIntent = IntentObject<'Gateway', GatewaySpec>;
export type EnvoyFilterIntent = IntentObject<'EnvoyFilter', EnvoyFilterSpec>;
/** A validated object of any kind, discriminated by `kind`. */
export type AnyIntent = { [K in IntentKind]: IntentObject<K, IntentSpecs[K]> }[IntentKind];

/** The full-object (envelope + spec) schema of each kind. */
export const INTENT_SCHEMAS = {
  ServiceEntry: ServiceEntrySchema,
  DestinationRule: DestinationRuleSchema,
  VirtualService: VirtualServiceSchema,
  Gateway: GatewaySchema,
  EnvoyFilter: EnvoyFilterSchema,
} as const;

import type { DestinationRuleSpec } from './destination-rule';
import type { EnvoyFilterSpec } from './envoy-filter';
import { EnvoyFilterSchema } from './envoy-filter';
import { DestinationRuleSchema } from './destination-rule';
import type { GatewaySpec } from './gateway';
import { GatewaySchema } from './gateway';
import type { ServiceEntrySpec } from './service-entry';
import type { SidecarSpec } from './sidecar';
import { SidecarSchema } from './sidecar';
import { ServiceEntrySchema } from './service-entry';
import type { IntentKind, IntentObject } from './types';
import type { VirtualServiceSpec } from './virtual-service';
import { VirtualServiceSchema } from './virtual-service';

export { isIntentKind, kindOfPlural, KIND_NAMES, KINDS, PLURALS, pluralOfKind, type IntentPlural, type KindNames, type StoredKind } from './kind-names';

/** The spec type of each kind. */
export interface IntentSpecs {
  ServiceEntry: ServiceEntrySpec;
  DestinationRule: DestinationRuleSpec;
  VirtualService: VirtualServiceSpec;
  Gateway: GatewaySpec;
  EnvoyFilter: EnvoyFilterSpec;
  Sidecar: SidecarSpec;
}

export type ServiceEntryIntent = IntentObject<'ServiceEntry', ServiceEntrySpec>;
export type DestinationRuleIntent = IntentObject<'DestinationRule', DestinationRuleSpec>;
export type VirtualServiceIntent = IntentObject<'VirtualService', VirtualServiceSpec>;
export type GatewayIntent = IntentObject<'Gateway', GatewaySpec>;
export type EnvoyFilterIntent = IntentObject<'EnvoyFilter', EnvoyFilterSpec>;
export type SidecarIntent = IntentObject<'Sidecar', SidecarSpec>;
/** A validated object of any kind, discriminated by `kind`. */
export type AnyIntent = { [K in IntentKind]: IntentObject<K, IntentSpecs[K]> }[IntentKind];

/** The full-object (envelope + spec) schema of each kind. */
export const INTENT_SCHEMAS = {
  ServiceEntry: ServiceEntrySchema,
  DestinationRule: DestinationRuleSchema,
  VirtualService: VirtualServiceSchema,
  Gateway: GatewaySchema,
  EnvoyFilter: EnvoyFilterSchema,
  Sidecar: SidecarSchema,
} as const;

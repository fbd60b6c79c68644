import type { IntentKind } from './types';

// Imports no schema, so the CLI bundles this table without zod.

/** The accepted kinds, in order of dependency (a VirtualService refers to ServiceEntry hosts, DR subsets). */
export const KINDS = ['ServiceEntry', 'DestinationRule', 'VirtualService', 'Gateway', 'EnvoyFilter', 'Sidecar'] as const satisfies readonly IntentKind[];

/**
 * Every kind the edge stores (the intent kinds, then Secret) with its URL plural, as in Kubernetes'
 * REST paths (`/namespaces/{ns}/virtualservices/{name}`), and its kubectl-style short name. In the
 * order the API lists the plurals.
 */
export const KIND_NAMES = [
  { kind: 'Gateway', plural: 'gateways', short: 'gw' },
  { kind: 'VirtualService', plural: 'virtualservices', short: 'vs' },
  { kind: 'DestinationRule', plural: 'destinationrules', short: 'dr' },
  { kind: 'ServiceEntry', plural: 'serviceentries', short: 'se' },
  { kind: 'EnvoyFilter', plural: 'envoyfilters', short: 'ef' },
  { kind: 'Sidecar', plural: 'sidecars', short: 'sc' },
  { kind: 'Secret', plural: 'secrets', short: 'secret' },
] as const satisfies readonly { kind: IntentKind | 'Secret'; plural: string; short: string }[];

export type KindNames = (typeof KIND_NAMES)[number];
export type StoredKind = KindNames['kind'];
type IntentKindNames = Extract<KindNames, { kind: IntentKind }>;
export type IntentPlural = IntentKindNames['plural'];

/** URL plural → kind, for the intent kinds (Secrets have their own API), in the API's order. */
export const PLURALS = Object.fromEntries(KIND_NAMES.filter((n): n is IntentKindNames => n.kind !== 'Secret').map((n) => [n.plural, n.kind])) as {
  readonly [N in IntentKindNames as N['plural']]: N['kind'];
};

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

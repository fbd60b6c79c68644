/** The object kinds the edge stores, with their URL plurals and kubectl-style short names. */
export const RESOURCES = [
  { kind: 'ServiceEntry', plural: 'serviceentries', short: 'se' },
  { kind: 'DestinationRule', plural: 'destinationrules', short: 'dr' },
  { kind: 'VirtualService', plural: 'virtualservices', short: 'vs' },
  { kind: 'Gateway', plural: 'gateways', short: 'gw' },
  { kind: 'EnvoyFilter', plural: 'envoyfilters', short: 'ef' },
  { kind: 'Secret', plural: 'secrets', short: 'secret' },
] as const;

export type Resource = (typeof RESOURCES)[number];

/** `VirtualService`, `virtualservice`, `virtualservices` or `vs` → its resource. */
export function resolveResource(word: string): Resource | undefined {
  const w = word.toLowerCase();
  return RESOURCES.find((r) => r.kind.toLowerCase() === w || r.plural === w || r.short === w);
}

export const pluralOf = (kind: string) => RESOURCES.find((r) => r.kind === kind)?.plural;

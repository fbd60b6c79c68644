import { KIND_NAMES, KINDS, type KindNames } from '../xds/intent/kind-names';

export type Resource = KindNames;

/** The object kinds the edge stores with their URL plurals and short names, as the CLI lists them: intents in dependency order, then Secret. */
export const RESOURCES: readonly Resource[] = [...KINDS, 'Secret' as const].map((kind) => KIND_NAMES.find((n) => n.kind === kind)!);

/** `VirtualService`, `virtualservice`, `virtualservices` or `vs` → its resource. */
export function resolveResource(word: string): Resource | undefined {
  const w = word.toLowerCase();
  return RESOURCES.find((r) => r.kind.toLowerCase() === w || r.plural === w || r.short === w);
}

export const pluralOf = (kind: string) => RESOURCES.find((r) => r.kind === kind)?.plural;

import { addSums, canonicalJson, hashContent } from '../../../xds';
import type { ObjectRow } from '../db/schema';

const MODULUS = 1n << 64n;
const termOf = (row: ObjectRow) => BigInt(`0x${hashContent(canonicalJson([row.kind, row.namespace, row.name, row.apiVersion, row.labels, row.annotations, row.spec]))}`);

/**
 * The content hash of the whole intent set, kept as a sum of one term per object so a write updates
 * it from the objects it touches (a set hash: it does not depend on the order objects were written).
 */
export const configHashOf = (rows: Iterable<ObjectRow>) => addSums(...[...rows].map(termOf));

/** The hash after some objects changed: their old terms out, their new ones in. */
export function nextConfigHash(previous: string, changes: { before?: ObjectRow; after: ObjectRow | null }[]): string {
  const terms: bigint[] = [];
  for (const c of changes) {
    if (c.before) terms.push(MODULUS - termOf(c.before));
    if (c.after) terms.push(termOf(c.after));
  }
  return addSums(previous, ...terms);
}

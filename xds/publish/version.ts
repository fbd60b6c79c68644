import { hashContent } from '../render/hash';
import type { Item } from './types';

const MASK = (1n << 64n) - 1n;

/**
 * A collection's version must depend on its items alone, not on where chunks happen to break: it is the
 * sum (mod 2^64) of one 64-bit term per item, so chunks carry partial sums and a version is the sum of
 * theirs. Like every version here it only has to tell contents apart, not resist forgery.
 */
export const itemTerm = (item: Pick<Item, 'name' | 'hash'>): bigint => BigInt(`0x${hashContent(`${item.name}\n${item.hash}`)}`);

export const addSums = (...sums: (string | bigint)[]): string => {
  let total = 0n;
  for (const s of sums) total = (total + (typeof s === 'bigint' ? s : BigInt(`0x${s || '0'}`))) & MASK;
  return total.toString(16).padStart(16, '0');
};

/** The version of a collection with `count` items whose terms sum to `sum`. */
export const collectionVersion = (count: number, sum: string): string => hashContent(`${count}:${sum}`);

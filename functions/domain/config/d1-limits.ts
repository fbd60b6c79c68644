import type { ObjectRow } from '../db/schema';
import { DomainError } from '../errors';

/**
 * D1's limit on one row (and one string or BLOB): 2,000,000 bytes (developers.cloudflare.com/d1/platform/limits).
 * Local D1 (workerd's SQLite) takes more, so the edge checks it itself: what production would refuse is
 * refused locally too, before anything is written.
 */
export const D1_MAX_ROW_BYTES = 2_000_000;

/**
 * Statements in one commit's batch. D1 documents no cap per batch, but at most 1,000 queries per Worker
 * invocation (Workers Paid) and 30 s per query; counting each batched statement as a query, a commit
 * stays within both. Rows go in a megabyte per statement (json-batches.ts), so the 64 MiB apply body
 * makes about 200: the cap holds with room, and a batch past it is refused, never split (a commit is one
 * transaction, all or nothing).
 */
export const D1_MAX_BATCH_STATEMENTS = 1000;

const utf8 = new TextEncoder();

/** The UTF-8 size of a value as its row stores it (JSON columns as JSON text). */
export const storedBytes = (value: unknown) => utf8.encode(typeof value === 'string' ? value : JSON.stringify(value)).length;

/**
 * Refuses a commit an object of which would not fit one D1 row: its objects row, and its object_history
 * row (the same object as one JSON value), whose size is what is measured.
 */
export function checkRowSizes(touched: { key: string; row: ObjectRow | null }[]): void {
  const fields = [];
  for (const t of touched) {
    if (!t.row) continue;
    // As object_history binds it: [kind, namespace, name, object] in one JSON array.
    const bytes = storedBytes([...t.key.split('/'), t.row]);
    if (bytes > D1_MAX_ROW_BYTES) fields.push({ path: '', object: t.key, message: `stored as ${bytes} bytes; a D1 row holds at most ${D1_MAX_ROW_BYTES} bytes` });
  }
  if (fields.length) throw new DomainError('too-large', `${fields.length === 1 ? `${fields[0]!.object} is` : `${fields.length} objects are`} larger than a D1 row may be (${D1_MAX_ROW_BYTES} bytes, D1's limit per row); nothing was stored`, fields);
}

/** Refuses a commit whose one batch would pass D1_MAX_BATCH_STATEMENTS (see above: never split). */
export function checkBatchSize(statements: number): void {
  if (statements > D1_MAX_BATCH_STATEMENTS) {
    throw new DomainError('too-large', `this change needs ${statements} statements in its one D1 batch; the limit is ${D1_MAX_BATCH_STATEMENTS} (D1's queries per Worker invocation), and a commit is not split, to stay atomic: apply it in parts; nothing was stored`, [{ path: '', message: `at most ${D1_MAX_BATCH_STATEMENTS} statements per commit` }]);
  }
}

import type { IntentState } from '../db/store';

/**
 * Called by the write path right after a revision commits, so the isolate that took the write
 * serves it at once instead of waiting for its freshness window. (Implemented with the REST xDS work.)
 */
export function primeSnapshotCache(_state: IntentState): void {}

import { keyOf, type ObjectKey } from '../domain/config/object-key';
import { rowToIntent, type Database } from '../domain/db/store';
import { diffIntents } from './diff-intents';
import { diffRendered } from './diff-rendered';
import { DIFF_LIMITS, type RevisionDiff } from './schemas';
import { revisionDelta } from './state';

/**
 * Revision n against revision n-1, both rebuilt from object_history: the intents it changed and
 * what that did to the rendered Envoy config of every default view. Cut to DIFF_LIMITS.
 */
export async function revisionDiff(db: Database, n: number): Promise<RevisionDiff> {
  const { before, changed } = await revisionDelta(db, n);
  const intents = diffIntents(before, changed, DIFF_LIMITS.patchOps);
  const after = new Map(before);
  for (const h of changed) {
    if (h.object) after.set(keyOf(h as ObjectKey), h.object);
    else after.delete(keyOf(h as ObjectKey));
  }
  const rendered = diffRendered([...before.values()].map(rowToIntent), [...after.values()].map(rowToIntent), [`revision ${n - 1}`, `revision ${n}`], DIFF_LIMITS.patchOps);
  return {
    intents: intents.slice(0, DIFF_LIMITS.intents),
    rendered: rendered.entries.slice(0, DIFF_LIMITS.rendered),
    counts: { intents: intents.length, rendered: rendered.entries.length },
    truncated: intents.length > DIFF_LIMITS.intents || rendered.entries.length > DIFF_LIMITS.rendered,
    ...(rendered.errors.length ? { errors: rendered.errors } : {}),
  };
}

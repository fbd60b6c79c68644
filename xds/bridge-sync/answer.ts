import type { z } from 'zod';
import { DELIVERY_ORDER, RESOURCE_TYPES } from '../envoy/type-urls';
import { SnapshotsResponseSchema } from './schemas';

/** What a bridge accepts: the edge's answer, with labelKeys optional (edges before it was sent). */
const SnapshotsAnswerSchema = SnapshotsResponseSchema.partial({ labelKeys: true });
export type SnapshotsAnswer = z.infer<typeof SnapshotsAnswerSchema>;

/** `snapshots["envoy|mesh"].types`: a zod issue's path as one would write it in JavaScript. */
const at = (path: PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${i ? '.' : ''}${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('');

/**
 * A bridge's check of the edge's 200 answer to a request naming `nodes` classes: the schema, a view
 * key per class, and every view complete (each resource type the bridge delivers, whole or as changes). Anything else
 * refuses the whole answer, so the bridge keeps serving what it had.
 */
export function checkSnapshotsAnswer(body: unknown, nodes: number): { ok: true; answer: SnapshotsAnswer } | { ok: false; error: string } {
  const parsed = SnapshotsAnswerSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `the answer breaks the schema${issue.path.length ? ` at ${at(issue.path)}` : ''}: ${issue.message}` };
  }
  const answer = parsed.data;
  if (answer.revision < 0) return { ok: false, error: 'revision is negative' };
  if (answer.views.length !== nodes) return { ok: false, error: `views is not a list of ${nodes} view keys` };
  for (const i of Object.keys(answer.refused ?? {})) if (answer.views[Number(i)] !== '' || String(Number(i)) !== i) return { ok: false, error: `refused names ${JSON.stringify(i)}, not the index of an empty view` };
  for (const [i, view] of answer.views.entries()) {
    if ((view === '') !== Boolean(answer.refused?.[String(i)])) return { ok: false, error: `views[${i}] is ${view === '' ? 'empty but not refused' : 'refused but has a view'}` };
  }
  for (const [view, snap] of Object.entries(answer.snapshots)) {
    if (snap.changes && snap.since === undefined) return { ok: false, error: `snapshots["${view}"] has changes but no since` };
    for (const type of DELIVERY_ORDER) {
      const url = RESOURCE_TYPES[type];
      if (!snap.types[url] && !snap.changes?.[url]) return { ok: false, error: `snapshots["${view}"] has no ${type}` };
      if (snap.types[url] && snap.changes?.[url]) return { ok: false, error: `snapshots["${view}"] has ${type} both whole and as changes` };
    }
  }
  return { ok: true, answer };
}

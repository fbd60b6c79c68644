import { Hono } from 'hono';
import { Dns1123LabelSchema, manifestDocuments, validateIntent, type FieldError } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { objects } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody, MAX_MANIFEST_BYTES, readTextBody, requestSource } from '../http/body';
import { badRequest } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { rolloutOverride } from '../http/rollout-override';
import { keyOf, type ObjectKey } from '../domain/config/object-key';
import { parseLabelSelector } from './label-selector';
import { commitChanges, type Change, type CommitOptions, type CommitOutcome } from '../domain/config/commit';
import { StagedApply } from '../domain/config/staged-apply';
import { settings } from '../settings';

/** POST /apply: a multi-document manifest committed atomically as one revision (or a dry run). */
const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

app.post('/apply', requireScope('config:write'), limitBody(MAX_MANIFEST_BYTES), async (c) => {
  const dryRun = c.req.query('dryRun') === 'true';
  const override = rolloutOverride(c);
  const prune = c.req.query('prune') === 'true';
  const selector = c.req.query('labelSelector');
  const selected = parseLabelSelector(selector);
  if (prune && !selector?.trim()) throw badRequest('prune needs a labelSelector, so it can only delete what this manifest owns', [{ path: 'labelSelector', message: 'required with prune=true' }]);
  // As `kubectl apply -n`: fills a missing metadata.namespace, refuses a different one, and limits prune to it.
  const namespace = c.req.query('namespace');
  if (namespace !== undefined && !Dns1123LabelSchema.safeParse(namespace).success) throw badRequest('namespace is not a namespace name; nothing was stored', [{ path: 'namespace', message: `"${namespace}" must be a DNS-1123 label (lower-case letters, digits and "-", at most 63)` }]);

  const { text, mediaType } = await readTextBody(c);
  const { outcome, warnings } = await applyManifest(c.env, text, mediaType, {
    dryRun,
    ...(prune ? { prune: selected } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    batchObjects: settings(c.env).applyBatchObjects,
    commit: { dryRun, author: c.get('principal').name, source: requestSource(c), ...override },
  });
  const allWarnings = [...warnings, ...outcome.warnings];
  setWarningHeaders(c, allWarnings);
  return c.json(
    {
      revision: outcome.committed ? outcome.revision : dryRun ? null : outcome.revision,
      committed: outcome.committed,
      dryRun,
      changes: outcome.changes,
      warnings: allWarnings,
      // Dry run: the rules of Envoy's protos the result breaks, which a real apply refuses with 422.
      ...(dryRun ? { errors: outcome.violations ?? [] } : {}),
      ...(outcome.rendered ? { rendered: outcome.rendered } : {}),
      ...(outcome.renderedChanges ? { diff: { rendered: outcome.renderedChanges, ...(outcome.renderedChangesTotal ? { renderedTotal: outcome.renderedChangesTotal } : {}) } } : {}),
    },
    outcome.committed ? 201 : 200,
  );
});

export interface ApplyOptions {
  dryRun: boolean;
  /** Prune: stored objects this selects (by their labels) that the manifest does not hold are deleted. */
  prune?: (labels: Record<string, string>) => boolean;
  namespace?: string;
  /** Past this many objects the apply is staged and compiled in batches (staged-apply.ts); at most this many held at once. */
  batchObjects: number;
  commit: CommitOptions;
}

/**
 * A manifest applied as one revision: its documents read as a stream and validated one by one, every
 * error in any of them refusing the whole (400, each error at its `[i]`). Up to `batchObjects` objects
 * commit as any write does (commit.ts); a larger manifest is staged in D1 as it is read and compiled in
 * batches (staged-apply.ts), so the isolate never holds the whole mesh.
 */
export async function applyManifest(env: Env, text: string, mediaType: string, o: ApplyOptions): Promise<{ outcome: CommitOutcome; warnings: FieldError[] }> {
  const parseErrors: FieldError[] = [];
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const seen = new Map<string, number>();
  let held: Change[] | undefined = [];
  let staged: StagedApply | undefined;
  let i = 0;
  try {
    for (const item of manifestDocuments(text, mediaType)) {
      if (!item.ok) {
        parseErrors.push(...item.errors);
        continue;
      }
      const index = i++;
      const result = validateIntent(item.document, { path: `[${index}]`, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) });
      if (!result.ok) {
        errors.push(...result.errors);
        continue;
      }
      warnings.push(...result.warnings);
      const key = keyOf({ kind: result.object.kind, namespace: result.object.metadata.namespace, name: result.object.metadata.name });
      if (seen.has(key)) errors.push({ path: `[${index}].metadata.name`, message: `${key} appears twice in the manifest (also document ${seen.get(key)})` });
      seen.set(key, index);
      // After the first error the rest is only validated: nothing of it will be stored.
      if (errors.length || parseErrors.length) continue;
      const change: Change = { op: 'put', object: result.object };
      if (staged) await staged.add(change);
      else if (held!.push(change) > o.batchObjects) {
        staged = await StagedApply.begin(env, o.batchObjects, o.commit);
        for (const h of held!) await staged.add(h);
        held = undefined;
      }
    }
    if (parseErrors.length) throw badRequest('the manifest is not valid JSON or YAML; nothing was stored', parseErrors);
    if (!i) throw badRequest('the manifest holds no objects', [{ path: '', message: 'empty manifest' }]);
    if (errors.length) throw badRequest('the manifest is invalid; nothing was stored', errors);
  } catch (err) {
    await staged?.abort();
    throw err;
  }

  // Secrets are not applied from manifests, so a manifest never prunes them.
  const prunes = o.prune && ((row: { kind: string; namespace: string; name: string; labels: Record<string, string> }) => row.kind !== 'Secret' && (o.namespace === undefined || row.namespace === o.namespace) && o.prune!(row.labels) && !seen.has(keyOf(row as ObjectKey)));
  if (staged) return { outcome: await staged.finish(prunes || undefined), warnings };
  const changes = held!;
  if (prunes) {
    const rows = await openDatabase(env.DB).select({ kind: objects.kind, namespace: objects.namespace, name: objects.name, labels: objects.labels }).from(objects);
    for (const row of rows) if (prunes(row)) changes.push({ op: 'delete', key: row as ObjectKey });
  }
  return { outcome: await commitChanges(env, changes, o.commit), warnings };
}

export default app;

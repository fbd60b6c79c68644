import { Hono } from 'hono';
import { Dns1123LabelSchema, parseManifest, validateIntent, type FieldError, type IntentObject } from '../../xds';
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
import { commitChanges, type Change } from '../domain/config/commit';

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
  const parsed = parseManifest(text, mediaType);
  if (!parsed.ok) throw badRequest('the manifest is not valid JSON or YAML; nothing was stored', parsed.errors);
  if (!parsed.documents.length) throw badRequest('the manifest holds no objects', [{ path: '', message: 'empty manifest' }]);

  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const intents: IntentObject[] = [];
  const seen = new Map<string, number>();
  parsed.documents.forEach((doc, i) => {
    const result = validateIntent(doc, { path: `[${i}]`, ...(namespace !== undefined ? { namespace } : {}) });
    if (!result.ok) return void errors.push(...result.errors);
    warnings.push(...result.warnings);
    const key = keyOf({ kind: result.object.kind, namespace: result.object.metadata.namespace, name: result.object.metadata.name });
    if (seen.has(key)) errors.push({ path: `[${i}].metadata.name`, message: `${key} appears twice in the manifest (also document ${seen.get(key)})` });
    seen.set(key, i);
    intents.push(result.object);
  });
  if (errors.length) throw badRequest('the manifest is invalid; nothing was stored', errors);

  const changes: Change[] = intents.map((object) => ({ op: 'put', object }));
  if (prune) {
    const rows = await openDatabase(c.env.DB).select({ kind: objects.kind, namespace: objects.namespace, name: objects.name, labels: objects.labels }).from(objects);
    for (const row of rows) {
      // Secrets are not applied from manifests, so a manifest never prunes them.
      if (row.kind !== 'Secret' && (namespace === undefined || row.namespace === namespace) && selected(row.labels) && !seen.has(keyOf(row as ObjectKey))) changes.push({ op: 'delete', key: row as ObjectKey });
    }
  }
  const outcome = await commitChanges(c.env, changes, { dryRun, author: c.get('principal').name, source: requestSource(c), ...override });
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
      ...(outcome.renderedChanges ? { diff: { rendered: outcome.renderedChanges } } : {}),
    },
    outcome.committed ? 201 : 200,
  );
});

export default app;

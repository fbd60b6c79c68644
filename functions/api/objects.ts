import { and, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { checkValueLimits, kindOfPlural, parseObjectBody, PLURALS, validateIntent, type FieldError, type IntentKind, type IntentObject } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { objects } from '../domain/db/schema';
import { openDatabase, readHeadRevision } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody, readTextBody, requestSource } from '../http/body';
import { badRequest, notFound } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { rolloutOverride } from '../http/rollout-override';
import { etagOf } from '../domain/config/object-key';
import { toApiObject } from './api-object';
import { parseLabelSelector } from './label-selector';
import { commitChanges, type Change } from '../domain/config/commit';
import { applyJsonPatch } from './json-patch';
import { mergePatch } from './merge-patch';

type App = { Bindings: Env; Variables: AuthVariables };
const app = new Hono<App>();

const plurals = Object.keys(PLURALS);

function kindOf(plural: string): IntentKind {
  const kind = kindOfPlural(plural);
  if (!kind) throw notFound(`unknown resource type "${plural}"; expected ${plurals.slice(0, -1).join(', ')} or ${plurals.at(-1)}`);
  return kind;
}

async function list(c: Context<App>, kind: IntentKind, namespace?: string) {
  const db = openDatabase(c.env.DB);
  const where = namespace ? and(eq(objects.kind, kind), eq(objects.namespace, namespace)) : eq(objects.kind, kind);
  const [rows, head] = await Promise.all([db.select().from(objects).where(where).orderBy(objects.namespace, objects.name), readHeadRevision(db)]);
  const selected = parseLabelSelector(c.req.query('labelSelector'));
  return c.json({ apiVersion: 'networking.istio.io/v1', kind: `${kind}List`, metadata: { resourceVersion: String(head) }, items: rows.filter((r) => selected(r.labels)).map(toApiObject) });
}

async function readRow(c: Context<App>, kind: IntentKind) {
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  return openDatabase(c.env.DB).select().from(objects).where(and(eq(objects.kind, kind), eq(objects.namespace, namespace), eq(objects.name, name))).get();
}

/** Validates a full object for PUT/PATCH at this URL: kind, name and namespace must agree with the path. */
function validateForPath(c: Context<App>, kind: IntentKind, body: unknown): { object: IntentObject; warnings: FieldError[] } {
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  const result = validateIntent(body, { namespace });
  if (!result.ok) throw badRequest('the object is invalid; nothing was stored', result.errors);
  const o = result.object;
  if (o.kind !== kind) throw badRequest(`kind ${o.kind} does not belong at ${c.req.param('plural')}`, [{ path: 'kind', message: `expected ${kind}` }]);
  if (o.metadata.name !== name) throw badRequest(`metadata.name must match the URL`, [{ path: 'metadata.name', message: `expected "${name}" (from the URL), got "${o.metadata.name}"` }]);
  return { object: o, warnings: result.warnings };
}

function refuseBeyondLimits(value: unknown, what: string): void {
  const problem = checkValueLimits(value);
  if (problem) throw badRequest(`${what} is beyond the API's limits; nothing was stored`, [problem]);
}

/** `?dryRun=true`, as in Kubernetes: everything a write checks, nothing stored. */
const isDryRun = (c: Context<App>) => c.req.query('dryRun') === 'true';

async function write(c: Context<App>, kind: IntentKind, change: Change, intentWarnings: FieldError[]) {
  const dryRun = isDryRun(c);
  const outcome = await commitChanges(c.env, [change], { dryRun, author: c.get('principal').name, source: requestSource(c), ...rolloutOverride(c) });
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  const row = outcome.rows.get(`${kind}/${namespace}/${name}`);
  const warnings = [...intentWarnings, ...outcome.warnings];
  setWarningHeaders(c, warnings);
  // The object as it would be stored (its resourceVersion the revision it would make).
  // `errors`: what a real write would refuse with 422 (pre-flight against Envoy's rules).
  if (dryRun) return c.json({ dryRun: true, committed: false, changes: outcome.changes, warnings, errors: outcome.violations ?? [], ...(row ? { object: toApiObject(row) } : {}) });
  if (!row) return c.json({ revision: outcome.revision, changes: outcome.changes, warnings }, 200);
  c.header('etag', etagOf(row));
  const created = outcome.changes[0]?.op === 'created';
  return c.json({ ...toApiObject(row), ...(warnings.length ? { warnings } : {}) }, created ? 201 : 200);
}

// The group matters: without it the alternation is not anchored and /namespaces/x/serviceentries matches too.
const PLURAL: `:plural{${string}}` = `:plural{(?:${plurals.join('|')})}`;
app.get(`/${PLURAL}`, requireScope('config:read'), (c) => list(c, kindOf(c.req.param('plural'))));
app.get('/namespaces/:namespace/:plural', requireScope('config:read'), (c) => list(c, kindOf(c.req.param('plural')), c.req.param('namespace')));

app.get('/namespaces/:namespace/:plural/:name', requireScope('config:read'), async (c) => {
  const kind = kindOf(c.req.param('plural'));
  const row = await readRow(c, kind);
  if (!row) throw notFound(`${kind} ${c.req.param('namespace')}/${c.req.param('name')} does not exist`);
  c.header('etag', etagOf(row));
  return c.json(toApiObject(row));
});

app.put('/namespaces/:namespace/:plural/:name', requireScope('config:write'), limitBody(), async (c) => {
  const kind = kindOf(c.req.param('plural'));
  const { text, mediaType } = await readTextBody(c);
  const parsed = parseObjectBody(text, mediaType);
  if (!parsed.ok) throw badRequest('the body is not a valid JSON or YAML object', parsed.errors);
  const { object, warnings } = validateForPath(c, kind, parsed.object);
  const ifMatch = c.req.header('if-match');
  return write(c, kind, { op: 'put', object, ...(ifMatch ? { ifMatch } : {}), createOnly: c.req.header('if-none-match')?.trim() === '*' }, warnings);
});

app.patch('/namespaces/:namespace/:plural/:name', requireScope('config:write'), limitBody(), async (c) => {
  const kind = kindOf(c.req.param('plural'));
  const { text, mediaType } = await readTextBody(c, [/^application\/merge-patch\+json$/, /^application\/json-patch\+json$/]);
  const row = await readRow(c, kind);
  if (!row) throw notFound(`${kind} ${c.req.param('namespace')}/${c.req.param('name')} does not exist`);
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the patch is not valid JSON: ${(err as Error).message}`, [{ path: '', message: 'invalid JSON' }]);
  }
  // Both checked before any recursive walk: the patch as sent, and what it makes (a deep value added at a deep path).
  refuseBeyondLimits(patch, 'the patch');
  const current = toApiObject(row);
  const patched = mediaType === 'application/merge-patch+json' ? mergePatch(current, patch) : applyJsonPatch(current, patch);
  refuseBeyondLimits(patched, 'the patched object');
  const { object, warnings } = validateForPath(c, kind, patched);
  // The patch was computed against what we read: commit only if that is still current.
  return write(c, kind, { op: 'put', object, ifMatch: c.req.header('if-match') ?? etagOf(row) }, warnings);
});

app.delete('/namespaces/:namespace/:plural/:name', requireScope('config:write'), async (c) => {
  const kind = kindOf(c.req.param('plural'));
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  const ifMatch = c.req.header('if-match');
  const dryRun = isDryRun(c);
  const outcome = await commitChanges(c.env, [{ op: 'delete', key: { kind, namespace, name }, ...(ifMatch ? { ifMatch } : {}) }], { dryRun, author: c.get('principal').name, source: requestSource(c), ...rolloutOverride(c) });
  setWarningHeaders(c, outcome.warnings);
  if (dryRun) return c.json({ dryRun: true, committed: false, changes: outcome.changes, warnings: outcome.warnings, errors: outcome.violations ?? [] });
  return c.json({ revision: outcome.revision, changes: outcome.changes, warnings: outcome.warnings });
});

export default app;

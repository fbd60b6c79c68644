import { and, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { parseObjectBody } from '../../xds';
import { validateTlsSecret } from '../../xds/secrets/tls-secret';
import { commitChanges } from '../domain/config/commit';
import { etagOf } from '../domain/config/object-key';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { objects } from '../domain/db/schema';
import { openDatabase, readHeadRevision, rowToIntent } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody, readTextBody, requestSource } from '../http/body';
import { badRequest, notFound } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { decryptMaterial, digestMaterial, encryptMaterial, secretKeyRing, secretKeys } from '../domain/secrets/crypto';
import { SECRET_KIND, secretAad, secretObject, type StoredSecretSpec } from '../domain/secrets/stored';
import { secretApiObject } from './secret-api-object';

type App = { Bindings: Env; Variables: AuthVariables };

/** Kubernetes TLS Secrets for SDS: /namespaces/{ns}/secrets/{name}. Writes need admin; reads show no key. */
const app = new Hono<App>();

async function list(c: Context<App>, namespace?: string) {
  const db = openDatabase(c.env.DB);
  const where = namespace ? and(eq(objects.kind, SECRET_KIND), eq(objects.namespace, namespace)) : eq(objects.kind, SECRET_KIND);
  const [rows, head] = await Promise.all([db.select().from(objects).where(where).orderBy(objects.namespace, objects.name), readHeadRevision(db)]);
  return c.json({ apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: String(head) }, items: rows.map(secretApiObject) });
}

function readRow(c: Context<App>) {
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  return openDatabase(c.env.DB).select().from(objects).where(and(eq(objects.kind, SECRET_KIND), eq(objects.namespace, namespace), eq(objects.name, name))).get();
}

const isDryRun = (c: Context<App>) => c.req.query('dryRun') === 'true';

app.get('/secrets', requireScope('config:read'), (c) => list(c));
app.get('/namespaces/:namespace/secrets', requireScope('config:read'), (c) => list(c, c.req.param('namespace')));

app.get('/namespaces/:namespace/secrets/:name', requireScope('config:read'), async (c) => {
  const row = await readRow(c);
  if (!row) throw notFound(`Secret ${c.req.param('namespace')}/${c.req.param('name')} does not exist`);
  c.header('etag', etagOf(row));
  return c.json(secretApiObject(row));
});

app.put('/namespaces/:namespace/secrets/:name', requireScope('admin'), limitBody(), async (c) => {
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  const { text, mediaType } = await readTextBody(c);
  const parsed = parseObjectBody(text, mediaType);
  if (!parsed.ok) throw badRequest('the body is not a valid JSON or YAML object', parsed.errors);
  const result = await validateTlsSecret(parsed.object);
  if (!result.ok) throw badRequest('the Secret is invalid; nothing was stored', result.errors);
  const { secret, warnings } = result;
  if (secret.name !== name) throw badRequest('metadata.name must match the URL', [{ path: 'metadata.name', message: `expected "${name}" (from the URL), got "${secret.name}"` }]);
  if (secret.namespace !== undefined && secret.namespace !== namespace) throw badRequest('metadata.namespace must match the URL', [{ path: 'metadata.namespace', message: `expected "${namespace}" (from the URL), got "${secret.namespace}"` }]);

  const keys = await secretKeys(c.env);
  const aad = secretAad(namespace, name);
  const digest = await digestMaterial(keys, aad, secret.material);
  const current = (await readRow(c))?.spec as StoredSecretSpec | undefined;
  // Same material: keep the stored ciphertext, so an unchanged PUT is a no-op (a fresh IV would not be).
  const encrypted = current?.digest === digest && current.encrypted.keyId === keys.id ? current.encrypted : await encryptMaterial(keys, aad, secret.material);
  const spec: StoredSecretSpec = { type: 'kubernetes.io/tls', certificate: secret.certificate, ...(secret.caCertificate ? { caCertificate: secret.caCertificate } : {}), encrypted, digest };

  const ifMatch = c.req.header('if-match');
  const dryRun = isDryRun(c);
  const change = { op: 'put' as const, object: secretObject(secret, namespace, spec), ...(ifMatch ? { ifMatch } : {}), createOnly: c.req.header('if-none-match')?.trim() === '*' };
  const outcome = await commitChanges(c.env, [change], { dryRun, author: c.get('principal').name, source: requestSource(c) });
  const row = outcome.rows.get(`${SECRET_KIND}/${namespace}/${name}`)!;
  const allWarnings = [...warnings, ...outcome.warnings];
  setWarningHeaders(c, allWarnings);
  if (dryRun) return c.json({ dryRun: true, committed: false, changes: outcome.changes, warnings: allWarnings, object: secretApiObject(row) });
  c.header('etag', etagOf(row));
  const created = outcome.changes[0]?.op === 'created';
  return c.json({ ...secretApiObject(row), ...(allWarnings.length ? { warnings: allWarnings } : {}) }, created ? 201 : 200);
});

/**
 * POST /secrets/reencrypt: every Secret not encrypted under the current SECRETS_KEY (read with
 * SECRETS_KEY_PREVIOUS) is encrypted under it again, in one revision, so the previous key can then be dropped.
 */
app.post('/secrets/reencrypt', requireScope('admin'), async (c) => {
  const ring = await secretKeyRing(c.env);
  const rows = await openDatabase(c.env.DB).select().from(objects).where(eq(objects.kind, SECRET_KIND)).orderBy(objects.namespace, objects.name);
  const due = rows.filter((r) => (r.spec as unknown as StoredSecretSpec).encrypted.keyId !== ring.current.id);
  const changes = [];
  for (const row of due) {
    const spec = row.spec as unknown as StoredSecretSpec;
    const aad = secretAad(row.namespace, row.name);
    const material = await decryptMaterial(ring, aad, spec.encrypted);
    const fresh: StoredSecretSpec = { ...spec, encrypted: await encryptMaterial(ring.current, aad, material), digest: await digestMaterial(ring.current, aad, material) };
    const object = rowToIntent(row);
    changes.push({ op: 'put' as const, object: { ...object, spec: fresh as unknown as Record<string, unknown> }, ifMatch: etagOf(row) });
  }
  const reencrypted = due.map((r) => `${r.namespace}/${r.name}`);
  if (!changes.length) return c.json({ revision: await readHeadRevision(openDatabase(c.env.DB)), committed: false, reencrypted, keyId: ring.current.id });
  const outcome = await commitChanges(c.env, changes, { author: c.get('principal').name, source: requestSource(c) });
  return c.json({ revision: outcome.revision, committed: outcome.committed, reencrypted, keyId: ring.current.id });
});

app.delete('/namespaces/:namespace/secrets/:name', requireScope('admin'), async (c) => {
  const { namespace, name } = c.req.param() as { namespace: string; name: string };
  const ifMatch = c.req.header('if-match');
  const dryRun = isDryRun(c);
  const key = { kind: SECRET_KIND as never, namespace, name };
  const outcome = await commitChanges(c.env, [{ op: 'delete', key, ...(ifMatch ? { ifMatch } : {}) }], { dryRun, author: c.get('principal').name, source: requestSource(c) });
  setWarningHeaders(c, outcome.warnings);
  if (dryRun) return c.json({ dryRun: true, committed: false, changes: outcome.changes, warnings: outcome.warnings });
  return c.json({ revision: outcome.revision, changes: outcome.changes, warnings: outcome.warnings });
});

export default app;

import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { bumpAuthEpoch, forgetTokenCache, sha256Hex } from '../domain/auth/tokens';
import { tokens } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { badRequest, conflict, notFound } from '../http/problem';
import { CreateTokenSchema, type TokenCreated } from './token-schemas';

/** Scoped API tokens (admin only). The plaintext is returned once; only its SHA-256 is stored. */
const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();
app.use('/tokens', requireScope('admin'));
app.use('/tokens/*', requireScope('admin'));

app.post('/tokens', limitBody(16 * 1024), async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw badRequest('the body is not valid JSON', [{ path: '', message: 'invalid JSON' }]);
  }
  const parsed = CreateTokenSchema.safeParse(body);
  if (!parsed.success) throw badRequest('invalid token request', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  const token = `xf_${[...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  const db = openDatabase(c.env.DB);
  // One statement decides, so two creations racing for a name get one 201 and one 409.
  const [inserted] = await db.batch([
    db.insert(tokens).values({ name: parsed.data.name, hash: await sha256Hex(token), scopes: [...new Set(parsed.data.scopes)], identity: parsed.data.identity ?? null }).onConflictDoNothing({ target: tokens.name }).returning({ name: tokens.name }),
    bumpAuthEpoch(c.env),
  ]);
  if (!inserted.length) throw conflict(`token ${parsed.data.name} already exists`, [{ path: 'name', message: 'a token of this name exists; delete it first or choose another name' }]);
  forgetTokenCache();
  return c.json({ name: parsed.data.name, scopes: parsed.data.scopes, ...(parsed.data.identity ? { identity: parsed.data.identity } : {}), token } satisfies TokenCreated, 201);
});

app.get('/tokens', async (c) => {
  const rows = await openDatabase(c.env.DB).select({ name: tokens.name, scopes: tokens.scopes, identity: tokens.identity, createdAt: tokens.createdAt }).from(tokens).orderBy(tokens.name);
  return c.json({ items: rows });
});

app.delete('/tokens/:name', async (c) => {
  const db = openDatabase(c.env.DB);
  // The epoch moves with the delete, so every isolate stops honouring the token within TOKEN_RECHECK_MS.
  const [deleted] = await db.batch([db.delete(tokens).where(eq(tokens.name, c.req.param('name'))).returning({ name: tokens.name }), bumpAuthEpoch(c.env)]);
  if (!deleted.length) throw notFound(`token ${c.req.param('name')} does not exist`);
  forgetTokenCache();
  return c.body(null, 204);
});

export default app;

import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { bumpAuthEpoch, forgetTokenCache, type Scope } from '../domain/auth/tokens';
import { forgetPolicyCache } from '../domain/auth/identity-policy';
import { identityPolicies, type IdentityPolicyRow } from '../domain/db/schema';
import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { limitBody } from '../http/body';
import { parseJsonBody } from '../http/json-body';
import { badRequest, conflict, notFound } from '../http/problem';
import { IdentityPolicyNameSchema, IdentityPolicyPutSchema, type Whoami } from './identity-policy-schemas';

/**
 * Identity policies: what each workload identity may receive (zero trust for proxies). Reading needs
 * config:read; writing is admin's. A write moves the auth epoch, so every isolate applies it within
 * TOKEN_RECHECK_MS, as it does token revocations.
 */
const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

function nameParam(raw: string): string {
  const parsed = IdentityPolicyNameSchema.safeParse(raw);
  if (!parsed.success) throw badRequest(`invalid identity policy name ${JSON.stringify(raw)}`, [{ path: 'name', message: parsed.error.issues[0]!.message }]);
  return parsed.data;
}

const policyView = (row: IdentityPolicyRow) => ({ name: row.name, identity: row.identity, namespaces: row.namespaces, gatewaySelectors: row.gatewaySelectors, createdAt: row.createdAt, updatedAt: row.updatedAt });

app.get('/identity-policies', requireScope('config:read'), async (c) => {
  const rows = await openDatabase(c.env.DB).select().from(identityPolicies).orderBy(identityPolicies.name);
  return c.json({ items: rows.map(policyView) });
});

app.get('/identity-policies/:name', requireScope('config:read'), async (c) => {
  const name = nameParam(c.req.param('name'));
  const row = await openDatabase(c.env.DB).select().from(identityPolicies).where(eq(identityPolicies.name, name)).get();
  if (!row) throw notFound(`identity policy ${name} does not exist`);
  return c.json(policyView(row));
});

app.put('/identity-policies/:name', requireScope('admin'), limitBody(64 * 1024), async (c) => {
  const name = nameParam(c.req.param('name'));
  const body = await parseJsonBody(c, IdentityPolicyPutSchema, 'identity policy');
  const namespaces = [...new Set(body.namespaces)].sort();
  const gatewaySelectors = body.gatewaySelectors;
  const db = openDatabase(c.env.DB);
  const other = await db.select({ name: identityPolicies.name }).from(identityPolicies).where(eq(identityPolicies.identity, body.identity)).get();
  if (other && other.name !== name) throw conflict(`identity ${body.identity} already has a policy, ${other.name}`, [{ path: 'identity', message: `policy ${other.name} is this identity's; change or delete it instead` }]);
  const now = new Date().toISOString();
  // One statement decides create or replace; the UNIQUE identity index refuses a race to the same identity.
  const [[row]] = await db
    .batch([
      db
        .insert(identityPolicies)
        .values({ name, identity: body.identity, namespaces, gatewaySelectors, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: identityPolicies.name, set: { identity: body.identity, namespaces, gatewaySelectors, updatedAt: now } })
        .returning(),
      bumpAuthEpoch(c.env),
    ])
    .catch((err: unknown) => {
      if (/UNIQUE/i.test(String(err))) throw conflict(`identity ${body.identity} already has a policy`, [{ path: 'identity', message: 'another policy took this identity meanwhile' }]);
      throw err;
    });
  forgetPolicyCache();
  forgetTokenCache();
  const created = row!.createdAt === now;
  if (created) c.header('location', `/api/v1/identity-policies/${name}`);
  return c.json(policyView(row!), created ? 201 : 200);
});

app.delete('/identity-policies/:name', requireScope('admin'), async (c) => {
  const name = nameParam(c.req.param('name'));
  const db = openDatabase(c.env.DB);
  const [deleted] = await db.batch([db.delete(identityPolicies).where(eq(identityPolicies.name, name)).returning({ name: identityPolicies.name }), bumpAuthEpoch(c.env)]);
  if (!deleted.length) throw notFound(`identity policy ${name} does not exist`);
  forgetPolicyCache();
  forgetTokenCache();
  return c.body(null, 204);
});

/** Who a token is: a bridge asks with the token an ADS client presented, so the edge alone judges tokens (revocation included). */
app.get('/whoami', requireScope('xds:read'), (c) => {
  const p = c.get('principal');
  return c.json({ name: p.name, scopes: [...p.scopes] as Scope[], ...(p.identity ? { identity: p.identity } : {}) } satisfies Whoami);
});

export default app;

import { z } from 'zod';
import { SCOPES } from '../domain/auth/tokens';
import { SpiffeIdSchema } from './identity-policy-schemas';

/** What a token bound to a workload identity may do: read that identity's view (and its Secrets). */
const IDENTITY_SCOPES: readonly string[] = ['xds:read', 'secrets:read'];

/** POST /tokens: what it takes and returns, and what GET /tokens lists. */

export const CreateTokenSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, "-" and ".", at most 63').max(63),
    scopes: z.array(z.enum(SCOPES)).min(1),
    identity: SpiffeIdSchema.optional().meta({
      description: "Binds the token to a workload identity: its xDS reads (REST polls, or ADS through a bridge) get only what the identity's policy allows, and a poll claiming more is a 403 naming the claim",
    }),
  })
  .superRefine((t, ctx) => {
    if (!t.identity) return;
    for (const [i, scope] of t.scopes.entries()) {
      if (!IDENTITY_SCOPES.includes(scope)) ctx.addIssue({ code: 'custom', path: ['scopes', i], message: `a token bound to an identity may only have ${IDENTITY_SCOPES.join(' and ')}` });
    }
  })
  .meta({ id: 'CreateToken' });

export const TokenCreatedSchema = z
  .object({ name: z.string(), scopes: z.array(z.enum(SCOPES)), identity: z.string().optional(), token: z.string().meta({ description: 'The token itself, shown only this once (only its SHA-256 is stored)' }) })
  .meta({ id: 'TokenCreated' });
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;

export const TokenListSchema = z
  .object({ items: z.array(z.object({ name: z.string(), scopes: z.array(z.string()), identity: z.string().nullable(), createdAt: z.string() })) })
  .meta({ id: 'TokenList' });

import { z } from 'zod';
import { SCOPES } from '../domain/auth/tokens';

/** POST /tokens: what it takes and returns, and what GET /tokens lists. */

export const CreateTokenSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, "-" and ".", at most 63').max(63),
    scopes: z.array(z.enum(SCOPES)).min(1),
  })
  .meta({ id: 'CreateToken' });

export const TokenCreatedSchema = z
  .object({ name: z.string(), scopes: z.array(z.enum(SCOPES)), token: z.string().meta({ description: 'The token itself, shown only this once (only its SHA-256 is stored)' }) })
  .meta({ id: 'TokenCreated' });
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;

export const TokenListSchema = z
  .object({ items: z.array(z.object({ name: z.string(), scopes: z.array(z.string()), createdAt: z.string() })) })
  .meta({ id: 'TokenList' });

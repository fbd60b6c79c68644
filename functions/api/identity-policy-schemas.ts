import { z } from 'zod';
import { Dns1123LabelSchema, LabelsSchema, parseSpiffeId } from '../../xds';
import { SCOPES } from '../domain/auth/tokens';

/** PUT /identity-policies/{name}, GET /whoami: what they take and return. */

export const IdentityPolicyNameSchema = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 63');

/** A SPIFFE ID as Istio issues them; the message says what is wrong with it. */
export const SpiffeIdSchema = z
  .string()
  .superRefine((s, ctx) => {
    const parsed = parseSpiffeId(s);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  })
  .meta({ description: 'A SPIFFE ID, `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`', example: 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway' });

export const IdentityPolicyPutSchema = z
  .strictObject({
    identity: SpiffeIdSchema,
    namespaces: z
      .array(Dns1123LabelSchema)
      .max(100)
      .default([])
      .meta({ description: "Namespaces its proxies may claim besides the SPIFFE ID's own" }),
    gatewaySelectors: z
      .array(LabelsSchema)
      .max(100)
      .default([])
      .meta({ description: 'Gateways its proxies may receive: a Gateway whose selector every label of one of these satisfies. None: no Gateway (and so no Gateway TLS Secret)' }),
  })
  .meta({ id: 'IdentityPolicyPut' });

export const IdentityPolicySchema = z
  .object({ name: z.string(), identity: z.string(), namespaces: z.array(z.string()), gatewaySelectors: z.array(z.record(z.string(), z.string())), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'IdentityPolicy' });

export const IdentityPolicyListSchema = z.object({ items: z.array(IdentityPolicySchema) }).meta({ id: 'IdentityPolicyList' });

export const WhoamiSchema = z
  .object({
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    identity: z.string().optional().meta({ description: 'The workload identity the token is bound to, if any' }),
  })
  .meta({ id: 'Whoami' });
export type Whoami = z.infer<typeof WhoamiSchema>;

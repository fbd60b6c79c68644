import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events/emit';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES, secretBytes } from './signing';

const isHttpUrl = (s: string) => {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
};

export const WebhookNameSchema = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 63');

export const EventTypeSchema = z.enum(EVENT_TYPES);

/** PUT /webhooks/{name}. */
export const WebhookPutSchema = z.strictObject({
  /** Where deliveries are POSTed. */
  url: z.string().max(2048).refine(isHttpUrl, 'expected an absolute http:// or https:// URL'),
  /** Standard Webhooks secret; omitted: kept when the webhook exists, generated (and returned once) when it is new. */
  secret: z
    .string()
    .refine((s) => secretBytes(s) !== undefined, `expected "whsec_" followed by base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes, e.g. whsec_$(openssl rand -base64 32); omit it to have one generated`)
    .optional(),
  /** Event types to receive; omitted or empty: every event, including types added later. */
  events: z.array(EventTypeSchema).max(50).optional(),
});
export type WebhookPut = z.infer<typeof WebhookPutSchema>;

export const WebhookSchema = z.object({
  name: z.string(),
  url: z.string(),
  events: z.array(EventTypeSchema).describe('empty: every event'),
  createdAt: z.string(),
  updatedAt: z.string(),
  secret: z.string().optional().describe('only in the answer that generated it: store it now, it is never shown again'),
});
export type Webhook = z.infer<typeof WebhookSchema>;

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) });

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);

export const DeliverySchema = z.object({
  id: z.string().describe('also the webhook-id header and the body id: the same on every retry'),
  event: EventTypeSchema,
  status: DeliveryStatusSchema,
  attempts: z.int(),
  lastStatus: z.int().nullable().describe("the receiver's HTTP status on the last attempt; null when it did not answer"),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable().describe('while pending: when the next attempt is due'),
});

export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema) });

export const DeliveryQuerySchema = z.strictObject({
  status: DeliveryStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** The body of every delivery (and what `data` holds per type is in docs/webhooks.md). */
export const EventBodySchema = z.object({ id: z.string(), type: EventTypeSchema, createdAt: z.string(), data: z.record(z.string(), z.unknown()) });

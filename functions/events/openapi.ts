import { z } from 'zod';
import type { RouteDoc } from '../openapi/route-doc';
import { DeliveryListSchema, DeliveryQuerySchema, WebhookListSchema, WebhookNameSchema, WebhookPutSchema, WebhookSchema } from './schemas';

const params = z.object({ name: WebhookNameSchema });
const tags = ['webhooks'];
const problem = (description: string) => ({ description, contentType: 'application/problem+json' });
const common = { 401: problem('missing or invalid token'), 403: problem('the token lacks scope admin') };

/** The webhook registry's routes, from the schemas its handlers parse with. */
export const webhookRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'List webhooks',
    tags,
    scope: 'admin',
    responses: { 200: { description: 'every webhook, by name; never the secrets', schema: WebhookListSchema }, ...common },
  },
  {
    method: 'put',
    path: '/api/v1/webhooks/{name}',
    summary: 'Create or replace a webhook',
    description:
      'Deliveries are POSTed to `url` and signed per the Standard Webhooks spec (webhook-id, webhook-timestamp, webhook-signature). Without `secret`, an existing webhook keeps its secret and a new one gets a generated secret, returned once in this answer. Without `events` (or with an empty list), every event is sent.',
    tags,
    scope: 'admin',
    params,
    body: { schema: WebhookPutSchema, contentTypes: ['application/json'], required: true },
    responses: {
      200: { description: 'updated (or unchanged)', schema: WebhookSchema },
      201: { description: 'created; `secret` is present when it was generated', schema: WebhookSchema },
      400: problem('invalid name, url, secret or events; nothing was stored'),
      ...common,
      503: problem('SECRETS_KEY is not configured: secrets are stored encrypted with it'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{name}',
    summary: 'Read a webhook (without its secret)',
    tags,
    scope: 'admin',
    params,
    responses: { 200: { description: 'the webhook', schema: WebhookSchema }, 404: problem('no such webhook'), ...common },
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/{name}',
    summary: 'Delete a webhook and its pending deliveries',
    tags,
    scope: 'admin',
    params,
    responses: { 204: { description: 'deleted' }, 404: problem('no such webhook'), ...common },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{name}/deliveries',
    summary: "A webhook's deliveries, newest first",
    description: 'Each event sent to the webhook, with its attempts so far, the last HTTP status and error, and when the next retry is due.',
    tags,
    scope: 'admin',
    params,
    query: DeliveryQuerySchema,
    responses: { 200: { description: 'newest first (default 100, at most 500)', schema: DeliveryListSchema }, 400: problem('invalid status or limit'), 404: problem('no such webhook'), ...common },
  },
];

import { z } from 'zod';
import { problem } from '../openapi/common';
import type { RouteDoc } from '../openapi/route-doc';
import { DeliveryListSchema, DeliveryQuerySchema, WebhookListSchema, WebhookNameSchema, WebhookPutSchema, WebhookSchema } from './schemas';

/** The webhook registry (api.ts). Not idempotent by key, as tokens: a replay would keep a generated secret in plaintext. */

const tags = ['Webhooks'];
const params = z.object({ name: WebhookNameSchema });
const notFound = problem('No such webhook');

export const webhookRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/webhooks',
    operationId: 'listWebhooks',
    summary: 'List webhooks (never their secrets)',
    tags,
    scope: 'admin',
    responses: { 200: { description: 'Every webhook, by name', schema: WebhookListSchema } },
  },
  {
    method: 'put',
    path: '/api/v1/webhooks/{name}',
    operationId: 'putWebhook',
    summary: 'Create or replace a webhook',
    description:
      'Events are POSTed to `url` as `{id, type, createdAt, data}`, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256>`), and retried with backoff. Without `secret`, an existing webhook keeps its secret and a new one gets a generated one, returned once in this answer. Without `events` (or with `[]`), every event is sent. PUT is idempotent as it is; Idempotency-Key is not honoured (a replay would keep a generated secret in plaintext).',
    tags,
    scope: 'admin',
    idempotencyKey: false,
    params,
    body: { schema: WebhookPutSchema, contentTypes: ['application/json'] },
    responses: {
      200: { description: 'Replaced (or unchanged)', schema: WebhookSchema },
      201: { description: 'Created; `secret` is present when it was generated', schema: WebhookSchema, headers: ['Location'] },
      400: problem('The name, url, secret or events are invalid; `errors` names each. Nothing was stored.'),
      413: problem('The body is too large'),
      415: problem('The content type is not JSON'),
      503: problem('SECRETS_KEY is not configured (secrets are stored encrypted with it)', ['Retry-After']),
    },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{name}',
    operationId: 'getWebhook',
    summary: 'Read a webhook (never its secret)',
    tags,
    scope: 'admin',
    params,
    responses: { 200: { description: 'The webhook', schema: WebhookSchema }, 400: problem('Invalid name'), 404: notFound },
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/{name}',
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook and its deliveries',
    tags,
    scope: 'admin',
    idempotencyKey: false,
    params,
    responses: { 204: { description: 'Deleted' }, 400: problem('Invalid name'), 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{name}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "A webhook's deliveries, newest first",
    description: 'Each event sent to the webhook: attempts so far, the last HTTP status and error, when the next retry is due. Finished deliveries are kept 7 days.',
    tags,
    scope: 'admin',
    params,
    query: DeliveryQuerySchema,
    responses: { 200: { description: 'Newest first (default 100, at most 500)', schema: DeliveryListSchema }, 400: problem('Invalid name, status or limit'), 404: notFound },
  },
];

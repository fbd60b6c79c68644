/** Response headers the document declares once (components.headers) and routes name. */
export const RESPONSE_HEADERS = {
  'x-request-id': { description: 'Every response carries the request id (echoed when the request sent one); problem documents repeat it as requestId.', schema: { type: 'string' } },
  ETag: { description: 'The object\'s resourceVersion as an entity tag, e.g. `"42"`; send it back in If-Match for optimistic concurrency.', schema: { type: 'string' } },
  Location: { description: 'Where the created resource can be read.', schema: { type: 'string' } },
  Warning: {
    description: 'Kubernetes-style warnings, one header each: `299 - "<object>: <path>: <message>"` (e.g. weights that do not sum to 100). The body\'s `warnings` holds them all.',
    schema: { type: 'string' },
  },
  'Idempotent-Replayed': { description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key; nothing was committed again.', schema: { type: 'string', enum: ['true'] } },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
  'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string' } },
  'x-xdsflare-revision': { description: 'The config revision the answer was rendered from.', schema: { type: 'string' } },
  'x-xdsflare-stale': { description: 'Present when the config store could not be read and the last snapshot was served.', schema: { type: 'string' } },
  'x-xdsflare-held': { description: 'Make-before-break: the routes are held back until the node has accepted the clusters they need (the answer is a 304).', schema: { type: 'string' } },
} as const satisfies Record<string, { description: string; schema: Record<string, unknown> }>;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

/** Request headers shared by many routes (components.parameters). */
export const REQUEST_HEADERS = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    description:
      'Makes a write safe to retry: a retry with the same key and the same request returns the first answer (`Idempotent-Replayed: true`) and commits nothing; the same key with another request is a 422; a retry while the first still runs is a 409. Keys are kept 24 hours, per token. 1 to 255 visible ASCII characters.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  },
  IfMatch: { name: 'If-Match', description: 'Write only if the object\'s current ETag is one of these (or `*`: it exists); otherwise 412.', schema: { type: 'string' } },
  IfNoneMatch: { name: 'If-None-Match', description: '`*`: create only; 412 if the object already exists.', schema: { type: 'string', enum: ['*'] } },
} as const;

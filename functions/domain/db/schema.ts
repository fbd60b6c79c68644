import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every committed change is one revision; ids are the public, monotonic revision numbers. */
export const revisions = sqliteTable('revisions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  createdAt: text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  /** Name of the token that made the change. */
  author: text('author').notNull(),
  /** Free-form origin: CI run id, pipeline URL, commit (taken from request headers). */
  source: text('source', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
  /** [{op, kind, namespace, name}] — what this revision changed. */
  changes: text('changes', { mode: 'json' }).$type<RevisionChange[]>().notNull(),
  /** How many objects the revision changed, when `changes` lists only the first of them (see commit-statements.ts). */
  changesTotal: integer('changes_total'),
  /** Content hash of the whole intent set after this revision. */
  configHash: text('config_hash').notNull(),
  /** Set once, when the proxies first converged on (or rejected) this revision: its event was emitted. */
  outcome: text('outcome').$type<'converged' | 'rejected'>(),
  outcomeAt: text('outcome_at'),
  /** Key of the revision's published root manifest in the CONFIG bucket (xds/publish): what isolates serve. */
  root: text('root'),
});

export interface RevisionChange {
  op: 'created' | 'updated' | 'deleted';
  kind: string;
  namespace: string;
  name: string;
}

/** The current intent objects: one row per (kind, namespace, name). */
export const objects = sqliteTable(
  'objects',
  {
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    apiVersion: text('api_version').notNull(),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    annotations: text('annotations', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    spec: text('spec', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    uid: text('uid').notNull(),
    /** Revision that last changed this object (Kubernetes' resourceVersion; also the ETag). */
    resourceVersion: integer('resource_version').notNull(),
    /** Incremented on every spec change, as in Kubernetes. */
    generation: integer('generation').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.namespace, t.name] }), index('objects_namespace').on(t.namespace, t.kind)],
);

/**
 * What each current object refers to (xds/publish/refs.ts): the index a write reads the few objects its
 * change reaches by, instead of the whole mesh. Kept in step with `objects` by every commit.
 */
export const objectRefs = sqliteTable(
  'object_refs',
  {
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    ref: text('ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.namespace, t.name, t.role, t.ref] }), index('object_refs_ref').on(t.role, t.ref)],
);

/** Each object's content as of each revision that touched it (null spec = deleted): enough to rebuild any revision. */
export const objectHistory = sqliteTable(
  'object_history',
  {
    revision: integer('revision').notNull(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    /** The full object as stored, or null when the revision deleted it. */
    object: text('object', { mode: 'json' }).$type<Record<string, unknown> | null>(),
  },
  (t) => [primaryKey({ columns: [t.revision, t.kind, t.namespace, t.name] }), index('history_object').on(t.kind, t.namespace, t.name)],
);

/** API tokens, stored as SHA-256 hashes; the plaintext is shown once, at creation. */
export const tokens = sqliteTable('tokens', {
  name: text('name').primaryKey(),
  hash: text('hash').notNull().unique(),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  /** The workload identity (SPIFFE ID) a proxy's token stands for: its discovery requests are bound to that identity's policy. */
  identity: text('identity'),
});

/**
 * What a workload identity may receive (zero trust for proxies): the namespaces its proxies may claim and
 * the Gateway selectors they may match. Checked by the edge for REST pollers and for every node class a
 * bridge relays with the identity it authenticated (mTLS or a token).
 */
export const identityPolicies = sqliteTable('identity_policies', {
  name: text('name').primaryKey(),
  /** `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`; one policy per identity. */
  identity: text('identity').notNull().unique(),
  namespaces: text('namespaces', { mode: 'json' }).$type<string[]>().notNull(),
  gatewaySelectors: text('gateway_selectors', { mode: 'json' }).$type<Record<string, string>[]>().notNull(),
  createdAt: text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  updatedAt: text('updated_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
});

/** What each xDS subscriber last reported, flushed in batches from the poll path. */
export const proxies = sqliteTable('proxies', {
  nodeId: text('node_id').primaryKey(),
  cluster: text('cluster').notNull().default(''),
  userAgent: text('user_agent').notNull().default(''),
  labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
  view: text('view').notNull(),
  /** How it reaches us: 'rest' (polls the edge) or 'ads' (through a bridge). */
  transport: text('transport').notNull().default('rest'),
  /** Per type URL: the version the node reports as accepted, and when it was last reported. */
  versions: text('versions', { mode: 'json' }).$type<Record<string, ProxyTypeStatus>>().notNull().default({}),
  lastSeen: text('last_seen').notNull(),
  /** The bridge that reported this proxy (transport 'ads'); null for a REST poller. */
  bridge: text('bridge'),
});

export interface ProxyTypeStatus {
  /** Version the node last reported as accepted (empty before its first ACK). */
  acked: string;
  /** Version the control plane last served it. */
  served?: string;
  /** Revision of the config `served` was answered from: what revision status judges convergence by. */
  servedRevision?: number;
  /** NACK detail, when the node rejected `served` (bridge clients) or is inferred to have. */
  nack?: { version: string; message: string; inferred: boolean; at: string };
  updatedAt: string;
  /**
   * REST pollers: when an edge isolate last heard this subscription polled (written with the node's
   * heartbeat, so a subscription Envoy dropped can be told from one that is polling unchanged).
   */
  seenAt?: string;
}

/**
 * Idempotency-Key records: a retried write with the same key (and the same token) gets the first
 * answer back instead of committing again. A row without a status is a request still running.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    /** SHA-256 of the bearer token: keys are private to the caller that chose them. */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path, query and body: the same key with another request is refused. */
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    headers: text('headers', { mode: 'json' }).$type<Record<string, string>>(),
    body: text('body'),
    createdAt: text('created_at').notNull(),
    /**
     * While the request runs: until when its claim holds (renewed as it runs). A claim past it belongs to a
     * write that died (a crash, a cut-off isolate), and the next request with the key takes it over.
     */
    leaseUntil: text('lease_until'),
  },
  (t) => [primaryKey({ columns: [t.caller, t.key] }), index('idempotency_created').on(t.createdAt)],
);

/**
 * One row: a counter every token creation and revocation bumps in the same batch. Isolates cache token
 * lookups and re-read this counter at most every TOKEN_RECHECK_MS, dropping their cache when it moved.
 */
export const authEpoch = sqliteTable('auth_epoch', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull().default(0),
});

/**
 * Stepped rollouts (canaries) run by the control plane. D1 holds the truth; a Durable Object per
 * rollout only keeps the timer (its alarm) and serialises the steps and the user's actions.
 */
export const rollouts = sqliteTable(
  'rollouts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Optional name given by the caller (e.g. the pipeline's release name). */
    name: text('name'),
    vsNamespace: text('vs_namespace').notNull(),
    vsName: text('vs_name').notNull(),
    /** The http route's `name`, or `#<index>` when the route has no name. */
    route: text('route').notNull(),
    /** progressing | paused | succeeded | aborted */
    state: text('state').$type<RolloutStateName>().notNull(),
    /** The whole rollout as the API shows it (spec, step history, abort reason). */
    body: text('body', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** When the driver next has something to do (ISO); null once finished. */
    nextCheckAt: text('next_check_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('rollouts_vs').on(t.vsNamespace, t.vsName, t.state), index('rollouts_state').on(t.state)],
);

export type RolloutStateName = 'progressing' | 'paused' | 'succeeded' | 'aborted';

/** Webhooks that receive events (revision converged/rejected, rollout steps); the signing secret is encrypted. */
export const webhooks = sqliteTable('webhooks', {
  name: text('name').primaryKey(),
  url: text('url').notNull(),
  /** The signing secret, AES-256-GCM under SECRETS_KEY (base64). */
  secretCipher: text('secret_cipher').notNull(),
  /** Event types to send; empty means all. */
  events: text('events', { mode: 'json' }).$type<string[]>().notNull().default([]),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** The outbox: one row per (event, webhook), retried with backoff until delivered or given up. */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    webhook: text('webhook').notNull(),
    event: text('event').notNull(),
    /** The exact JSON body sent (and signed) on every attempt. */
    payload: text('payload').notNull(),
    /** pending | delivered | failed */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    deliveredAt: text('delivered_at'),
  },
  (t) => [index('deliveries_due').on(t.status, t.nextAttemptAt), index('deliveries_webhook').on(t.webhook, t.createdAt)],
);

export type ObjectRow = typeof objects.$inferSelect;
export type RevisionRow = typeof revisions.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
export type IdentityPolicyRow = typeof identityPolicies.$inferSelect;
export type ProxyRow = typeof proxies.$inferSelect;
export type RolloutRow = typeof rollouts.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * A whole-mesh apply in progress (functions/domain/config/staged-apply.ts): each object it changes,
 * staged here as validated so the request never holds the manifest's objects at once, compiled in
 * batches (`applied` marks those compiled), and copied into `objects` by the one batch that commits the
 * revision. Rows of an apply that died are removed by the next staged apply (after STAGING_TTL).
 */
export const applyStaging = sqliteTable(
  'apply_staging',
  {
    applyId: text('apply_id').notNull(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    /** 1 when the apply deletes the object (the other object columns are then null). */
    deleted: integer('deleted').notNull(),
    /** Compile order: kinds in dependency order (staged-apply.ts), then the object's first host, so a batch's resources sit together in the published collections. */
    pass: integer('pass').notNull(),
    sortKey: text('sort_key').notNull(),
    applied: integer('applied').notNull().default(0),
    apiVersion: text('api_version'),
    labels: text('labels'),
    annotations: text('annotations'),
    spec: text('spec'),
    uid: text('uid'),
    resourceVersion: integer('resource_version'),
    generation: integer('generation'),
    createdAt: text('created_at'),
    stagedAt: text('staged_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.applyId, t.kind, t.namespace, t.name] }), index('apply_staging_order').on(t.applyId, t.applied, t.pass, t.sortKey), index('apply_staging_age').on(t.stagedAt)],
);

/** The object_refs of staged objects (refs.ts), so the batches' compile finds them as it finds stored ones. */
export const applyStagingRefs = sqliteTable(
  'apply_staging_refs',
  {
    applyId: text('apply_id').notNull(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    ref: text('ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.applyId, t.kind, t.namespace, t.name, t.role, t.ref] }), index('apply_staging_refs_ref').on(t.applyId, t.role, t.ref)],
);

import { z } from 'zod';

/**
 * The contract between the edge and a bridge: the bridge POSTs its node classes to SNAPSHOTS_PATH and
 * receives every view they need. The edge validates requests and the bridge validates answers with
 * these schemas; the OpenAPI document is made from them too.
 *
 * A view the bridge holds is sent as changes when the bridge names the edge's index of it (`since`):
 * only resources that changed, RouteConfigurations of many virtual hosts by virtual host. A bridge that
 * names none (an old one, one that lost its state, or an index the edge cannot read) gets views whole.
 */

/** Relative to the edge's origin; POST only. */
export const SNAPSHOTS_PATH = '/api/v1/snapshots';
/** On 200 and 304: the revision the answer was rendered from. */
export const REVISION_HEADER = 'x-xdsflare-revision';
/** Present when the edge could not read its config store and answered from the last config it had. */
export const STALE_HEADER = 'x-xdsflare-stale';

/** An index of a published view, as the edge names it (a content hash: it never changes once written). */
export const VIEW_INDEX = /^v\/[0-9a-f]{32}$/;

/** A bridge serves many clients, but few classes of them: a thousand is far beyond any real one. */
export const MAX_NODE_CLASSES = 1000;

/** One node class: what every proxy of the class shares that views depend on (see nodeClassOf). */
export const BridgeNodeSchema = z.strictObject({
  user_agent_name: z.string().max(256).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** For exportTo: node.metadata.NAMESPACE (or namespace) of the class's proxies. */
  namespace: z.string().max(253).optional(),
  /** For localityLbSetting: node.locality of the class's proxies. */
  locality: z.strictObject({ region: z.string().max(256).optional(), zone: z.string().max(256).optional(), sub_zone: z.string().max(256).optional() }).optional(),
  /** The workload identity (SPIFFE ID) the bridge authenticated the class's proxies as: the edge serves only what its policy allows. */
  identity: z.string().max(2048).optional(),
});
export type BridgeNode = z.infer<typeof BridgeNodeSchema>;

export const SnapshotsRequestSchema = z.strictObject({
  /** The head revision the bridge already holds: equal to the edge's means nothing changed (304). */
  revision: z.int().min(0).optional(),
  nodes: z.array(BridgeNodeSchema).max(MAX_NODE_CLASSES).optional(),
  /** View versions the bridge already holds, by view key: those views are left out. */
  have: z.record(z.string(), z.string()).optional(),
  /** The auth epoch (identity policies, tokens) the bridge's classes were judged under: a 304 needs it unchanged too. */
  authEpoch: z.int().min(0).optional(),
  /**
   * The edge's index (BridgeView.index) of each view the bridge holds, by view key: changed views come
   * back as changes since it. Absent, unknown or unreadable: the view comes whole.
   */
  since: z.record(z.string(), z.string().regex(VIEW_INDEX)).optional(),
});
export type SnapshotsRequest = z.infer<typeof SnapshotsRequestSchema>;

const resources = z.array(z.record(z.string(), z.unknown())).meta({ description: 'Envoy resources as proto3 JSON, each with `@type`' });

/** One resource type of a view: its version and resources. */
export const BridgeViewTypeSchema = z.object({ version: z.string(), resources });
export type BridgeViewType = z.infer<typeof BridgeViewTypeSchema>;

const names = z.array(z.string());

/** The changed virtual hosts of one RouteConfiguration (applied by applyViewChanges). */
export const BridgePartChangesSchema = z.object({
  name: z.string(),
  frame: z.record(z.string(), z.unknown()).meta({ description: 'The RouteConfiguration with `virtual_hosts` empty' }),
  upsert: resources.meta({ description: 'Virtual hosts added or replaced, by name' }),
  remove: names,
});

/** One resource type of a view as changes since the version the bridge holds. */
export const BridgeTypeChangesSchema = z.object({
  version: z.string(),
  since: z.string().meta({ description: 'The type version these changes apply to' }),
  upsert: resources.meta({ description: 'Resources added or replaced whole' }),
  remove: names.meta({ description: 'Names of resources removed' }),
  parts: z.array(BridgePartChangesSchema).optional().meta({ description: 'RouteConfigurations changed virtual host by virtual host' }),
});
export type BridgeTypeChanges = z.infer<typeof BridgeTypeChangesSchema>;

/**
 * One view as POST /snapshots returns it to a bridge: whole (every delivered type in `types`), or,
 * with `since`, as changes: each type either whole in `types` or in `changes` (none left out).
 */
export const BridgeViewSchema = z.object({
  version: z.string().meta({ description: 'One version for the whole view (and its secrets)' }),
  /** The edge's published index of this view, when it has one: name it in `since` next time. */
  index: z.string().regex(VIEW_INDEX).optional(),
  /** Present on a view sent as changes: the index they are changes from (the bridge's `since`). */
  since: z.string().regex(VIEW_INDEX).optional(),
  types: z.record(z.string(), BridgeViewTypeSchema).meta({ description: 'By type URL' }),
  changes: z.record(z.string(), BridgeTypeChangesSchema).optional().meta({ description: 'By type URL: types sent as changes (only with since)' }),
});
export type BridgeView = z.infer<typeof BridgeViewSchema>;

/** Why the edge refused a node class: the claim outside its identity (namespace or labels), and why. */
export const ClassRefusalSchema = z.object({ claim: z.enum(['namespace', 'labels']), reason: z.string() });
export type ClassRefusal = z.infer<typeof ClassRefusalSchema>;

export const SnapshotsResponseSchema = z
  .object({
    revision: z.int(),
    views: z.array(z.string()).meta({ description: 'The view key of each requested node class, in order' }),
    labelKeys: z.array(z.string()).meta({ description: 'The only proxy labels views depend on' }),
    snapshots: z.record(z.string(), BridgeViewSchema).meta({ description: 'By view key; views whose version the bridge already has are left out' }),
    refused: z
      .record(z.string(), ClassRefusalSchema)
      .optional()
      .meta({ description: 'By index of a requested class whose identity may not have what it claims: its `views` entry is "" and nothing of it is sent' }),
    authEpoch: z.int().optional().meta({ description: 'When a class names an identity: the auth epoch it was judged under (send it back with `revision`)' }),
  })
  .meta({ id: 'SnapshotsResponse' });
export type SnapshotsResponse = z.infer<typeof SnapshotsResponseSchema>;

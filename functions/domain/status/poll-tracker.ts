import { sql } from 'drizzle-orm';
import type { NodeInfo } from '../../../xds';
import { proxies, type ProxyTypeStatus } from '../db/schema';
import { openDatabase } from '../db/store';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { detectOutcomes } from './outcomes';

/**
 * What each poller reports, kept per isolate and written to D1 in one batch at most every
 * XDS_STATUS_FLUSH_MS, so status costs the poll path no query of its own. Entries are keyed per
 * subscription: the type URL for wildcard types, `typeUrl#name` for EDS/RDS (one poller each).
 */
/** A subscription's status plus what only this isolate needs: the rejection counter and when it was last reported. */
type TrackedStatus = ProxyTypeStatus & { behind: number; reportedAt: number };

interface TrackedNode {
  info: NodeInfo;
  view: string;
  transport: 'rest' | 'ads';
  statuses: Map<string, TrackedStatus>;
  /** Subscription keys changed since the last flush. */
  dirty: Set<string>;
  /** Subscription keys dropped by the per-type bound, to remove from the stored row at the next flush. */
  evicted: Set<string>;
  identityDirty: boolean;
  lastSeen: number;
  persistedAt: number;
}

/** lastSeen is refreshed in D1 at least this often for a node that keeps polling. */
const HEARTBEAT_MS = 30_000;
/** Consecutive polls reporting the old version, after a 200 served the new one, before a rejection is inferred. */
export const INFERRED_NACK_POLLS = 3;
const MAX_NODES = 10_000;
const MAX_NODES_PER_FLUSH = 500;
/**
 * A flush still running after this is given up on: its request's waitUntil was cut short (at 30 s)
 * and it will never settle, which must not stop this isolate from ever writing status again.
 */
const STUCK_FLUSH_MS = 60_000;

/**
 * Bounds per node, so no poller can make its row too large for D1 (2 MB) or crowd out the others: a
 * subscription key names at most MAX_KEY_CHARS of resource names (a longer list is keyed by its hash),
 * a node keeps at most MAX_NAMED_PER_TYPE named (EDS/RDS) subscriptions per type (the least recently
 * polled go, and are removed from its row too), and a row past MAX_STATUS_ROW_BYTES is not written.
 */
export const MAX_KEY_CHARS = 1024;
export const MAX_NAMED_PER_TYPE = 500;
export const MAX_STATUS_ROW_BYTES = 1_000_000;

/** A stable, short key for a long name list: FNV-1a (two 32-bit lanes), synchronous for the poll path. */
function boundedKey(subscription: string): string {
  if (subscription.length <= MAX_KEY_CHARS) return subscription;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < subscription.length; i++) {
    const c = subscription.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x811c9dc5) >>> 0;
  }
  const hash = a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  const cut = subscription.lastIndexOf(',', MAX_KEY_CHARS - 64);
  return `${subscription.slice(0, Math.max(cut, subscription.indexOf('#') + 1))},…#${hash}`;
}

const utf8 = new TextEncoder();

const nodes = new Map<string, TrackedNode>();
let lastFlush = 0;
let flushing: Promise<void> | undefined;
let flushStartedAt = 0;

export interface PollReport {
  node: NodeInfo;
  view: string;
  transport: 'rest' | 'ads';
  subscription: string;
  /** version_info the node sent: the last version it accepted. */
  reported: string;
  /** The version answered: sent with a 200, or confirmed with a 304. */
  served: string;
  /**
   * Revision of the config the answer came from; omitted when the answer did not come from it
   * (routes held back for make-before-break), so the last one stands.
   */
  servedRevision?: number;
}

function tracked(report: PollReport, now: number): TrackedNode {
  let node = nodes.get(report.node.id);
  const labels = JSON.stringify(report.node.labels);
  if (!node) {
    if (nodes.size >= MAX_NODES) nodes.clear();
    node = { info: report.node, view: report.view, transport: report.transport, statuses: new Map(), dirty: new Set(), evicted: new Set(), identityDirty: true, lastSeen: now, persistedAt: 0 };
    nodes.set(report.node.id, node);
  } else if (node.view !== report.view || JSON.stringify(node.info.labels) !== labels || node.transport !== report.transport) {
    Object.assign(node, { info: report.node, view: report.view, transport: report.transport, identityDirty: true });
  }
  // Silent past a heartbeat: its row may have left the fleet (or been forgotten) meanwhile, and the
  // next flush must write it whole, not only the seenAt of subscriptions that did not change.
  if (now - node.lastSeen > HEARTBEAT_MS) {
    node.identityDirty = true;
    for (const key of node.statuses.keys()) node.dirty.add(key);
  }
  node.lastSeen = now;
  return node;
}

/**
 * Records one poll. Over REST a rejection can only be inferred: after a 200 carried version S, the
 * node keeps polling with its old version and gets S again, INFERRED_NACK_POLLS times in a row.
 */
export function recordPoll(report: PollReport): void {
  if (!report.node.id) return;
  report = { ...report, subscription: boundedKey(report.subscription) };
  const now = Date.now();
  const node = tracked(report, now);
  if (!node.statuses.has(report.subscription)) evictBeyondBound(node, report.subscription);
  const at = new Date(now).toISOString();
  const prev = node.statuses.get(report.subscription);
  const { reported, served } = report;
  const behind = prev?.served && prev.served === served && reported !== served ? prev.behind + 1 : 0;
  let nack = prev?.nack;
  if (reported === served || (nack && nack.version !== served)) nack = undefined;
  if (!nack && behind >= INFERRED_NACK_POLLS) {
    nack = { version: served, message: `inferred: the node polled ${behind} times with version ${reported || '(none)'} after being served ${served}`, inferred: true, at };
  }
  const servedRevision = report.servedRevision ?? prev?.servedRevision;
  // A new servedRevision alone is worth a write: revision status judges convergence by it.
  const changed = !prev || prev.acked !== reported || prev.served !== served || prev.nack !== nack || prev.servedRevision !== servedRevision;
  node.statuses.set(report.subscription, {
    acked: reported,
    served,
    ...(servedRevision !== undefined ? { servedRevision } : {}),
    ...(nack ? { nack } : {}),
    updatedAt: changed ? at : prev!.updatedAt,
    behind,
    reportedAt: now,
  });
  if (changed) node.dirty.add(report.subscription);
}

/** Makes room for one more named subscription of its type: the least recently polled one goes. */
function evictBeyondBound(node: TrackedNode, subscription: string): void {
  const hash = subscription.indexOf('#');
  if (hash < 0) return;
  const prefix = subscription.slice(0, hash + 1);
  const same = [...node.statuses].filter(([k]) => k.startsWith(prefix));
  if (same.length < MAX_NAMED_PER_TYPE) return;
  same.sort(([, x], [, y]) => x.reportedAt - y.reportedAt);
  for (const [k] of same.slice(0, same.length - MAX_NAMED_PER_TYPE + 1)) {
    node.statuses.delete(k);
    node.dirty.delete(k);
    node.evicted.add(k);
  }
  node.evicted.delete(subscription);
}

/** What this isolate heard a node report for a subscription, if it heard it within `maxAgeMs`. */
export function reportedVersion(nodeId: string, subscription: string, maxAgeMs: number): string | undefined {
  const status = nodes.get(nodeId)?.statuses.get(subscription);
  return status && Date.now() - status.reportedAt <= maxAgeMs ? status.acked : undefined;
}

/** True when something was written. */
async function flush(env: Env, now: number): Promise<boolean> {
  // Bounded batches; whatever is left stays dirty for the next flush. A heartbeat only for a node heard
  // since the last write: another isolate may hold a fresher lastSeen, not to be overwritten with ours.
  const due = [...nodes.values()].filter((n) => n.identityDirty || n.dirty.size || n.evicted.size || (now - n.persistedAt >= HEARTBEAT_MS && n.lastSeen > n.persistedAt)).slice(0, MAX_NODES_PER_FLUSH);
  if (!due.length) return false;
  const db = openDatabase(env.DB);
  const rows = due.map((n) => {
    // (Typed as stored rows are read; the null nacks only exist for the merge.) Subscriptions heard since
    // the last write but unchanged get only seenAt, merged into what is stored: proof they are still polled.
    const heard = [...n.statuses].filter(([k, s]) => !n.dirty.has(k) && s.reportedAt > n.persistedAt).map(([k, s]) => [k, { seenAt: new Date(s.reportedAt).toISOString() }]);
    // Evicted subscriptions as null: the json_patch merge removes them from the stored row.
    const versions = Object.fromEntries([...heard, ...[...n.evicted].map((k) => [k, null]), ...[...n.dirty].map((k) => [k, publicStatus(n.statuses.get(k)!)])]) as Record<string, ProxyTypeStatus>;
    const row = {
      nodeId: n.info.id,
      cluster: n.info.cluster ?? '',
      userAgent: n.info.userAgentName ?? '',
      labels: n.info.labels,
      view: n.view,
      transport: n.transport,
      versions,
      lastSeen: new Date(n.lastSeen).toISOString(),
      // Polling the edge itself: not (or no longer) behind a bridge.
      bridge: null,
    };
    return { n, row };
  });
  // A node whose row would pass the bound (labels of a megabyte) is not written, and forgotten: it must
  // not fail the batch the other nodes' status is in.
  const fitting = rows.filter(({ n, row }) => {
    const bytes = utf8.encode(JSON.stringify(row)).length;
    if (bytes <= MAX_STATUS_ROW_BYTES) return true;
    console.warn(JSON.stringify({ msg: 'proxy status not recorded: row too large', node: n.info.id.slice(0, 256), bytes, limit: MAX_STATUS_ROW_BYTES }));
    nodes.delete(n.info.id);
    return false;
  });
  if (!fitting.length) return false;
  const statements = fitting.map(({ row }) => {
    // Merge this isolate's subscriptions into what other isolates wrote (RFC 7396 json_patch); a merge
    // that would pass the row bound (many isolates' subscriptions together) keeps this isolate's alone.
    const merged = sql`json_patch(${proxies.versions}, excluded.versions)`;
    return db
      .insert(proxies)
      .values(row)
      .onConflictDoUpdate({
        target: proxies.nodeId,
        set: { cluster: row.cluster, userAgent: row.userAgent, labels: row.labels, view: row.view, transport: row.transport, lastSeen: row.lastSeen, bridge: null, versions: sql`CASE WHEN length(CAST(${merged} AS BLOB)) > ${MAX_STATUS_ROW_BYTES} THEN json_patch('{}', excluded.versions) ELSE ${merged} END` },
      });
  });
  // Cleared now (polls meanwhile mark them again); put back if the write fails, or a change a node
  // reported once (an ACK, a servedRevision) would be lost: its later polls answer 304 and change nothing.
  const written = fitting.map(({ n }) => n);
  const before = written.map((n) => ({ n, dirty: [...n.dirty], evicted: [...n.evicted], identityDirty: n.identityDirty, persistedAt: n.persistedAt }));
  for (const n of written) {
    n.dirty.clear();
    n.evicted.clear();
    n.identityDirty = false;
    n.persistedAt = now;
  }
  const restore = (b: (typeof before)[number]) => {
    for (const k of b.dirty) b.n.dirty.add(k);
    for (const k of b.evicted) b.n.evicted.add(k);
    b.n.identityDirty ||= b.identityDirty;
    if (b.n.persistedAt === now) b.n.persistedAt = b.persistedAt;
  };
  try {
    await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  } catch (err) {
    // One batch is one transaction: one bad row would fail everyone's. Each alone, then: a row that fails
    // by itself is dropped (logged), the others are written.
    console.warn(JSON.stringify({ msg: 'proxy status batch failed; writing rows one by one', error: String(err) }));
    const results = await Promise.allSettled(statements.map((s) => s.run()));
    let failures = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      failures++;
      console.warn(JSON.stringify({ msg: 'proxy status row not recorded', node: before[i]!.n.info.id.slice(0, 256), error: String(r.reason) }));
      nodes.delete(before[i]!.n.info.id);
    });
    if (failures === results.length) {
      for (const b of before) restore(b);
      throw err;
    }
  }
  return true;
}

/** As stored; `nack: null` so the json_patch merge removes a rejection that no longer holds. */
const publicStatus = ({ behind: _behind, reportedAt, ...status }: TrackedStatus) => ({ ...status, nack: status.nack ?? null, seenAt: new Date(reportedAt).toISOString() });

/**
 * Writes what changed, at most every XDS_STATUS_FLUSH_MS (default 5 s) per isolate, after the response (waitUntil). A failed
 * flush is logged; what it held is written by the next one.
 */
export function flushNodesIfDue(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  const now = Date.now();
  if ((flushing && now - flushStartedAt < STUCK_FLUSH_MS) || now - lastFlush < settings(env).statusFlushMs) return;
  lastFlush = flushStartedAt = now;
  const run: Promise<void> = flush(env, now)
    // What was written may settle a revision: judge it (and emit its event) in the same waitUntil.
    .then((wrote) => (wrote ? detectOutcomes(env) : undefined))
    .catch((err) => console.warn(JSON.stringify({ msg: 'could not record proxy status', error: String(err) })))
    .finally(() => {
      if (flushing === run) flushing = undefined;
    });
  flushing = run;
  waitUntil(run);
}

/** Forget everything (tests whose storage is reset between cases). */
export function forgetTrackedNodes(): void {
  nodes.clear();
  lastFlush = 0;
  flushing = undefined;
}

import { and, gt, gte, isNull, sql } from 'drizzle-orm';
import { fleetCutoff } from './fleet';
import { judgeRevision, readProxyRows } from './revision-phase';
import { revisions, type RevisionRow } from '../db/schema';
import { openDatabase, readHeadRevision } from '../db/store';
import type { Env } from '../../env';
import { settings } from '../../settings';
import { deliveryStatements, wakeDispatcher } from '../events/outbox';

/** Only the newest revisions, and only recent ones, are judged: older ones were superseded or never reached. */
const RECENT_REVISIONS = 10;
const RECENT_MS = 60 * 60_000;
/** An event names the first rejections; the revision status has them all. */
const MAX_REJECTIONS = 20;
const MAX_MESSAGE = 1024;

type Judged = ReturnType<typeof judgeRevision>;
type Candidate = Pick<RevisionRow, 'id' | 'author' | 'source' | 'createdAt'>;

const clip = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

function eventData(rev: Candidate, status: Judged, head: number): Record<string, unknown> {
  const data: Record<string, unknown> = { revision: rev.id, head, phase: status.phase, counts: status.counts, author: rev.author, source: rev.source, committedAt: rev.createdAt };
  if (status.phase === 'rejected') {
    const rejections = status.proxies.flatMap((p) => p.rejections.map((r) => ({ node_id: p.node_id, type: r.type, version: r.version, message: clip(r.message), inferred: r.inferred })));
    data.rejections = rejections.slice(0, MAX_REJECTIONS);
    data.rejectionCount = rejections.length;
  }
  return data;
}

/**
 * Records a revision's outcome once, with its event: the conditional UPDATE is the once-only guard,
 * and the outbox rows commit in the same batch only if the stored outcome is this one. Delivery ids
 * derive from (event, revision, webhook), so two isolates judging the same moment insert one row.
 * True when deliveries were queued.
 */
async function recordOutcome(env: Env, rev: Candidate, status: Judged, head: number): Promise<boolean> {
  const phase = status.phase as 'converged' | 'rejected';
  const type = `revision.${phase}` as const;
  const claim = env.DB.prepare('UPDATE revisions SET outcome = ?, outcome_at = ? WHERE id = ? AND outcome IS NULL').bind(phase, new Date().toISOString(), rev.id);
  const inserts = await deliveryStatements(env, type, eventData(rev, status, head), {
    dedupeKey: `${type}/${rev.id}`,
    when: { sql: 'EXISTS (SELECT 1 FROM revisions WHERE id = ? AND outcome = ?)', params: [rev.id, phase] },
  });
  const results = await env.DB.batch([claim, ...inserts]);
  return results.slice(1).some((r) => r.meta.changes > 0);
}

async function detectOnce(env: Env): Promise<void> {
  const db = openDatabase(env.DB);
  const candidates = await db
    .select({ id: revisions.id, author: revisions.author, source: revisions.source, createdAt: revisions.createdAt })
    .from(revisions)
    // A rowid range first: cheap however long the history is.
    .where(and(gt(revisions.id, sql`(SELECT max(id) FROM revisions) - ${RECENT_REVISIONS}`), isNull(revisions.outcome), gte(revisions.createdAt, new Date(Date.now() - RECENT_MS).toISOString())))
    .orderBy(revisions.id);
  if (!candidates.length) return;
  const now = Date.now();
  const bounds = settings(env);
  const [rows, head] = await Promise.all([readProxyRows(db, fleetCutoff(now, bounds.forgetMs)), readHeadRevision(db)]);
  let queued = false;
  for (const rev of candidates) {
    const status = judgeRevision(rows, rev.id, now, bounds);
    if (status.phase === 'converged' || status.phase === 'rejected') queued = (await recordOutcome(env, rev, status, head)) || queued;
  }
  if (queued) await wakeDispatcher(env);
}

let running: Promise<void> | undefined;
let runningSince = 0;
let again = false;
/** A run still going after this is given up on: its request's waitUntil was cut short and it will never settle. */
const STUCK_MS = 60_000;

/**
 * Judges the recent revisions that have no outcome yet, as GET /revisions/{n}/status would, and
 * records converged or rejected (with its event) the first time one gets there. Called after status
 * arrives (a bridge report, a REST tracker flush) in waitUntil, and by the cron sweep. Calls while
 * one runs in this isolate are folded into one more run, so the latest status is always judged.
 * Never rejects.
 */
export function detectOutcomes(env: Env): Promise<void> {
  if (running && Date.now() - runningSince < STUCK_MS) {
    again = true;
    return running;
  }
  runningSince = Date.now();
  const run: Promise<void> = (async () => {
    do {
      again = false;
      await detectOnce(env);
    } while (again);
  })()
    .catch((err) => console.warn(JSON.stringify({ msg: 'could not judge revision outcomes', error: String(err) })))
    .finally(() => {
      if (running === run) running = undefined;
    });
  running = run;
  return run;
}

import type { Context } from './command';
import { CliError, EXIT } from './exit-codes';

/**
 * The longest single held request. The edge holds up to 300 s, but a proxy on the way answers 504
 * to a quiet request long before that (GCP's load balancer at 30 s, nginx and AWS ALB at 60 s), and
 * that 504 would come back on every retry: stay under the shortest of them.
 */
export const WAIT_CHUNK_MS = 25_000;
/** With progress to print, each held request is this short, so a change is seen within it. */
export const PROGRESS_CHUNK_MS = 5_000;

/** What the edge answers for GET /revisions/{n}/status. */
export interface RevisionStatus {
  revision: number;
  head: number;
  phase: 'converged' | 'rejected' | 'pending' | 'no-proxies';
  counts: { converged: number; rejected: number; pending: number; stale: number };
  /** Present when some proxies are stale: which, and when they leave the fleet. */
  note?: string;
  proxies: { node_id: string; view?: string; transport?: string; state: string; last_seen?: string; rejections?: { type: string; message: string; inferred?: boolean; version?: string }[] }[];
}

/**
 * Asks `path?wait=` again and again, each time for at most WAIT_CHUNK_MS (PROGRESS_CHUNK_MS with
 * `progress`, whose line for each answer not yet done goes to ctx.progress), until `done(body)` or the
 * total wait ends. Always asks at least once. Returns the last answer.
 */
export async function waitLoop<T>(ctx: Context, path: string, totalMs: number, done: (body: T) => boolean, progress?: (body: T) => string): Promise<{ body: T; text: string }> {
  const started = Date.now();
  const deadline = started + totalMs;
  const chunk = progress ? PROGRESS_CHUNK_MS : WAIT_CHUNK_MS;
  for (;;) {
    const asked = Date.now();
    const left = Math.max(0, deadline - asked);
    const { body, answer } = await ctx.client.json<T>('GET', path, { query: { wait: left ? Math.min(left, chunk) / 1000 : undefined } });
    if (done(body) || Date.now() >= deadline) return { body, text: answer.text };
    if (progress) ctx.progress(progress(body), Date.now() - started, totalMs);
    // A server that answers before its wait is up must not turn this into a busy loop.
    const quick = 1000 - (Date.now() - asked);
    if (quick > 0) await new Promise((r) => setTimeout(r, Math.min(quick, deadline - Date.now())));
  }
}

/** The head revision's number (404 when nothing was ever committed). */
export async function headRevision(ctx: Context): Promise<number> {
  const { body } = await ctx.client.json<{ items: { revision: number }[] }>('GET', '/api/v1/revisions', { query: { limit: 1 } });
  const head = body.items[0]?.revision;
  if (head === undefined) throw new CliError(EXIT.notFound, 'no revision has been committed yet');
  return head;
}

const MAX_PROXY_LINES = 20;

/** The status in words: the phase and counts, then the proxies that are not converged. */
export function formatStatus(s: RevisionStatus): string[] {
  const c = s.counts;
  const lines = [`revision ${s.revision}${s.head !== s.revision ? ` (head ${s.head})` : ''}: ${s.phase} — ${c.converged} converged, ${c.rejected} rejected, ${c.pending} pending, ${c.stale} stale`];
  const open = s.proxies.filter((p) => p.state === 'rejected' || p.state === 'pending');
  if (s.note) lines.push(`  note: ${s.note}`);
  for (const p of open.slice(0, MAX_PROXY_LINES)) {
    lines.push(`  ${p.state.padEnd(8)} ${p.node_id}${p.view ? ` (${p.view})` : ''}`);
    for (const r of p.rejections ?? []) lines.push(`           ${r.type}: ${r.message}${r.inferred ? ' (inferred: it kept polling with the old version)' : ''}`);
  }
  if (open.length > MAX_PROXY_LINES) lines.push(`  … and ${open.length - MAX_PROXY_LINES} more`);
  return lines;
}

/** One line of a pending revision's progress: its counts and the proxies it waits for. */
export function statusProgress(s: RevisionStatus): string {
  const c = s.counts;
  const pending = s.proxies.filter((p) => p.state === 'pending').map((p) => p.node_id);
  const shown = pending.slice(0, 3).join(', ') + (pending.length > 3 ? `, +${pending.length - 3}` : '');
  return `revision ${s.revision} ${s.phase}: ${c.converged} converged, ${c.pending} pending${shown ? ` (${shown})` : ''}${c.stale ? `, ${c.stale} stale (not waited for)` : ''}`;
}

/** The exit code of a revision status: rejected 4; pending 5 after a wait (0 for a look). */
export function statusExitCode(s: RevisionStatus, waited: boolean) {
  if (s.phase === 'rejected') return EXIT.rejected;
  if (s.phase === 'pending') return waited ? EXIT.timeout : EXIT.ok;
  return EXIT.ok;
}

/** Waits for a revision to converge (or be rejected), prints the outcome, returns the exit code. */
export async function waitForRevision(ctx: Context, revision: number, totalMs: number): Promise<number> {
  const { body, text } = await waitLoop<RevisionStatus>(ctx, `/api/v1/revisions/${revision}/status`, totalMs, (s) => s.phase !== 'pending', statusProgress);
  if (ctx.json) ctx.out(text.trim());
  else formatStatus(body).forEach((l) => ctx.out(l));
  const code = statusExitCode(body, true);
  if (code === EXIT.timeout) ctx.err(`timed out: revision ${revision} is still pending`);
  if (code === EXIT.rejected) ctx.err(`revision ${revision} was rejected by ${body.counts.rejected} prox${body.counts.rejected === 1 ? 'y' : 'ies'}`);
  return code;
}

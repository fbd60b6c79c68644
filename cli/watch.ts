import type { Context, OptionSpec } from './command';
import { EXIT } from './exit-codes';
import { PROGRESS_CHUNK_MS } from './wait';

export const WATCH_OPTION: Record<string, OptionSpec> = {
  watch: { type: 'boolean', short: 'w', description: 'print again whenever it changes (until interrupted, or a rollout finished)' },
};

/** How often --watch asks an endpoint that cannot hold a request (lists, revisions, config). */
export const WATCH_INTERVAL_MS = 2_000;

type Json = Record<string, any>;

export interface WatchSpec {
  /** The endpoint takes ?wait= (held until done, e.g. GET /rollouts/{id}): ask with it, in PROGRESS_CHUNK_MS pieces. */
  hold?: boolean;
  /** When the watch ends by itself (a finished rollout); without it only an interrupt ends it. */
  done?: (body: Json) => boolean;
}

const CLEAR = '\x1b[H\x1b[2J';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * get --watch: asks again and again and prints the answer whenever the edge's answer differs from the last one. On a
 * terminal the screen is redrawn under a header (what, when); into a pipe each change is printed once,
 * separated by a blank line (-o json: one JSON document per line), and nothing else, so a log or jq
 * sees only what changed.
 */
export async function watchAnswer(ctx: Context, path: string, query: Record<string, string | undefined>, text: (body: Json) => string[], spec: WatchSpec): Promise<number> {
  let last: string | undefined;
  let lastShown: string | undefined;
  for (;;) {
    const asked = Date.now();
    const { body, answer } = await ctx.client.json<Json>('GET', path, { query: { ...query, ...(spec.hold ? { wait: String(PROGRESS_CHUNK_MS / 1000) } : {}) } });
    // Changed means the answer changed (an AGE column alone moves every few seconds) and so did what it shows.
    const key = answer.text.trim();
    const shown = key === last ? (lastShown ?? '') : ctx.json ? key : text(body).join('\n');
    if (key !== last && shown !== lastShown) {
      if (ctx.stdoutIsTTY) ctx.out(`${CLEAR}every ${spec.hold ? `change (held ${PROGRESS_CHUNK_MS / 1000}s)` : `${WATCH_INTERVAL_MS / 1000}s`}: GET ${path}    ${new Date().toISOString().slice(11, 19)}  (Ctrl-C to stop)\n`);
      else if (lastShown !== undefined && !ctx.json) ctx.out('');
      ctx.out(shown);
      lastShown = shown;
    }
    last = key;
    if (spec.done?.(body)) return EXIT.ok;
    // A held request that came back at once (the answer is final, or the edge does not hold) must not spin.
    const wait = spec.hold ? 1000 - (Date.now() - asked) : WATCH_INTERVAL_MS;
    if (wait > 0) await sleep(wait);
  }
}

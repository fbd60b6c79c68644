import { durationOption } from '../args';
import type { Command } from '../command';
import { UsageError } from '../exit-codes';
import { formatStatus, headRevision, statusExitCode, waitForRevision, type RevisionStatus } from '../wait';

/** Parses a revision argument: a positive integer, or `head`. */
export function revisionArg(raw: string | undefined): number | 'head' {
  if (raw === undefined || raw === 'head') return 'head';
  if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`"${raw}" is not a revision number (or head)`);
  return Number(raw);
}

export const status: Command = {
  name: 'status',
  summary: "How far a revision has reached the proxies: converged, rejected (NACKed), pending or stale.",
  usage: '[<revision>|head] [--wait [<dur>]]',
  description: `
Without --wait, one look (exit 0 unless rejected). With --wait, holds until every live proxy has
acknowledged the revision or one rejected it, for at most the duration (default 5m), asking the edge
in chunks of at most 25 seconds (under any proxy's idle timeout).
Exit codes: 0 converged (or no proxies), 4 rejected by a proxy, 5 still pending when the wait ended.`,
  options: {
    wait: { type: 'string', value: '<dur>', bareValue: '5m', description: 'wait for convergence, e.g. 30s, 5m' },
  },
  positionals: { min: 0, max: 1 },
  async run(ctx, values, [raw]) {
    const wanted = revisionArg(raw);
    const wait = durationOption(values, 'wait');
    const revision = wanted === 'head' ? await headRevision(ctx) : wanted;
    if (wait !== undefined) return waitForRevision(ctx, revision, wait);
    const { body, answer } = await ctx.client.json<RevisionStatus>('GET', `/api/v1/revisions/${revision}/status`);
    if (ctx.json) ctx.out(answer.text.trim());
    else formatStatus(body).forEach((l) => ctx.out(l));
    return statusExitCode(body, false);
  },
};

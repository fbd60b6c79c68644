import { durationOption } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { waitForRevision } from '../wait';
import { revisionArg } from './status';
import { ROLLOUT_OVERRIDE_OPTIONS, rolloutOverrideQuery } from '../rollout-override';

interface RollbackAnswer {
  revision: number;
  committed: boolean;
  rolledBackTo: number;
  changes: { op: string; kind: string; namespace: string; name: string }[];
  warnings?: { path: string; message: string; object?: string }[];
}

export const rollback: Command = {
  name: 'rollback',
  summary: 'Restore the objects as they were at a revision, as a new revision.',
  usage: '<revision> [--force|--abort-rollout] [--wait [<dur>]]',
  description: `
The new revision is validated and rendered like any write. --wait waits for it to converge.
Moving the route of an active rollout is refused unless --abort-rollout or --force, as for apply.
Exit codes: 0 done (and converged), 3 refused, 4 rejected by a proxy, 5 still pending when the wait
ended, 7 no such revision.`,
  options: { wait: { type: 'string', value: '<dur>', bareValue: '5m', description: 'wait for the new revision to converge' }, ...ROLLOUT_OVERRIDE_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [raw]) {
    const target = revisionArg(raw);
    const wait = durationOption(values, 'wait');
    const n = target === 'head' ? 'head' : String(target);
    const { body, answer } = await ctx.client.json<RollbackAnswer>('POST', `/api/v1/revisions/${n}/rollback`, { query: rolloutOverrideQuery(values) });
    for (const w of body.warnings ?? []) ctx.err(`warning: ${w.object ? `${w.object}: ` : ''}${w.path ? `${w.path}: ` : ''}${w.message}`);
    if (ctx.json) ctx.out(answer.text.trim());
    else {
      for (const c of body.changes) ctx.out(`${c.kind} ${c.namespace}/${c.name} ${c.op}`);
      ctx.out(body.committed ? `revision ${body.revision} committed: the objects as of revision ${body.rolledBackTo}` : `nothing to do: the objects are as of revision ${body.rolledBackTo} already (revision ${body.revision})`);
    }
    if (wait === undefined) return EXIT.ok;
    return waitForRevision(ctx, body.revision, wait);
  },
};

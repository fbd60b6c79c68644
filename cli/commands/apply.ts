import { durationOption, stringOption } from '../args';
import type { Command, Context, Values } from '../command';
import { formatIntentDiff, formatRenderedDiff } from '../diff';
import { DIFF, EXIT, UsageError } from '../exit-codes';
import { describeManifestPath, readManifests } from '../manifest';
import { dryRunDiff, type ApplyAnswer } from '../dry-run-diff';
import { waitForRevision } from '../wait';
import { ROLLOUT_OVERRIDE_OPTIONS, rolloutOverrideQuery } from '../rollout-override';

/** An object as the edge read it under -n: its own namespace, else -n's (for diffing against what is stored). */
function inNamespace(o: unknown, namespace: string): unknown {
  const obj = o as { metadata?: { namespace?: string } };
  return obj?.metadata?.namespace ? o : { ...(o as object), metadata: { ...obj?.metadata, namespace } };
}

const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

const diffUnexpected = (values: Values) => (values['dry-run'] === true || values.diff === true ? EXIT.diffUnexpected : undefined);

export const apply: Command = {
  name: 'apply',
  summary: 'Apply manifests (YAML or JSON, several documents each) as one revision: all or nothing.',
  usage: '-f <file|dir|-> [-f ...] [-n <ns>] [--dry-run] [--prune -l <selector>] [--force|--abort-rollout] [--wait [<dur>]]',
  description: `
Directories are read recursively (*.yaml, *.yml, *.json, in sorted order; hidden entries skipped,
symbolic links to files followed, links to directories refused); "-" reads stdin. Every
object of every file is sent in one request and committed as one revision.
--dry-run stores nothing and shows what would change: each object's diff (RFC 6902 paths) and the
Envoy resources the change adds, changes or removes per view, plus the rules of Envoy's protos the
result would break. --prune deletes the objects matching -l that the manifests no longer hold.
-n, as with kubectl, is the namespace of objects that name none (an object naming another one is
refused) and the only namespace --prune deletes from; without it they go to "default".
--wait waits for the new revision to converge, as "xdsflare status --wait" does.
A write that moves the weights of a route an active rollout drives is refused (exit 3, naming the
rollout) unless --abort-rollout (the rollout aborts in the same revision) or --force (it carries on).
Exit codes: 0 applied (and converged), 3 refused (the field paths are printed with the file and
document they come from; also a dry run whose result a real apply would refuse), 4 rejected by a
proxy, 5 still pending when the wait ended. --dry-run exits as kubectl diff does: 0 no changes,
1 changes, 8 for what is otherwise 1 (an unexpected error), and the other codes as above;
--exit-zero gives 0 for changes too (what --dry-run did before).`,
  options: {
    filename: { type: 'string', short: 'f', multiple: true, value: '<path>', description: 'a file, a directory or - (stdin)' },
    'dry-run': { type: 'boolean', description: 'show the diff; store nothing (exit 1 when something would change)' },
    'exit-zero': { type: 'boolean', description: 'with --dry-run: exit 0 when something would change, too' },
    prune: { type: 'boolean', description: 'delete objects matching --selector that the manifests no longer contain' },
    selector: { type: 'string', short: 'l', value: '<k=v,...>', description: 'label selector for --prune' },
    namespace: { type: 'string', short: 'n', value: '<ns>', description: 'namespace of objects that name none (and of --prune)' },
    wait: { type: 'string', value: '<dur>', bareValue: '5m', description: 'wait for the revision to converge' },
    ...ROLLOUT_OVERRIDE_OPTIONS,
  },
  positionals: { min: 0, max: 0 },
  unexpectedCode: diffUnexpected,
  async run(ctx, values) {
    const dryRun = values['dry-run'] === true || values.diff === true;
    const prune = values.prune === true;
    const selector = stringOption(values, 'selector');
    const namespace = stringOption(values, 'namespace');
    const wait = durationOption(values, 'wait');
    const override = rolloutOverrideQuery(values);
    if (prune && !selector) throw new UsageError('--prune needs -l <selector>, so it only deletes what these manifests own');
    if (dryRun && wait !== undefined) throw new UsageError('--wait has nothing to wait for with --dry-run');
    if (!dryRun && values['exit-zero'] === true) throw new UsageError('--exit-zero goes with --dry-run');
    const docs = await readManifests(list(values.filename), ctx.cwd, ctx.readStdin);
    if (!docs.length) throw new UsageError('the manifests hold no objects');
    const objects = docs.map((d) => d.object);
    const describe = describeManifestPath(docs);
    const { body, answer } = await ctx.client.json<ApplyAnswer>('POST', '/api/v1/apply', { query: { dryRun, prune, labelSelector: selector, namespace, ...override }, body: JSON.stringify(objects), describePath: describe });
    for (const w of body.warnings ?? []) ctx.err(`warning: ${w.object ? `${w.object}: ` : ''}${describe(w.path)}: ${w.message}`);

    if (dryRun) {
      if (ctx.json) ctx.out(answer.text.trim());
      else await printDryRun(ctx, body, namespace ? objects.map((o) => inNamespace(o, namespace)) : objects);
      // Errors with a rule are Envoy's (a real apply: 422); without, a rollout's route it would move (409).
      const refused = (body.errors ?? []).filter((e) => e.rule !== undefined);
      const owned = (body.errors ?? []).filter((e) => e.rule === undefined);
      if (owned.length) {
        ctx.err(`a real apply would be refused (409): it moves the route of an active rollout; --abort-rollout aborts the rollout with it, --force leaves the rollout running`);
        for (const e of owned) ctx.err(`  ${e.object ? `${e.object}: ` : ''}${e.path}: ${e.message}`);
      }
      if (refused.length) {
        ctx.err(`a real apply would be refused (422): the result breaks ${refused.length} rule${refused.length === 1 ? '' : 's'} of Envoy's protos`);
        for (const e of refused) ctx.err(`  ${e.path}: ${e.message}`);
      }
      if (owned.length || refused.length) return EXIT.refused;
      const changed = body.changes.some((c) => c.op !== 'unchanged') || (body.diff?.rendered?.length ?? 0) > 0;
      return changed && values['exit-zero'] !== true ? DIFF.changes : DIFF.same;
    }

    if (ctx.json) ctx.out(answer.text.trim());
    else {
      for (const c of body.changes.filter((c) => c.op !== 'unchanged')) ctx.out(`${c.kind} ${c.namespace}/${c.name} ${c.op}`);
      const unchanged = body.changes.filter((c) => c.op === 'unchanged').length;
      ctx.out(body.committed ? `revision ${body.revision} committed${unchanged ? ` (${unchanged} unchanged)` : ''}` : `no changes; revision ${body.revision} is current`);
    }
    if (wait === undefined || body.revision === null) return EXIT.ok;
    return waitForRevision(ctx, body.revision, wait);
  },
};

async function printDryRun(ctx: Context, body: ApplyAnswer, objects: unknown[]) {
  const diff = body.diff?.intents && body.diff.rendered ? { intents: body.diff.intents, rendered: body.diff.rendered } : await dryRunDiff(ctx, body, objects);
  const changed = diff.intents.filter((d) => d.op !== 'unchanged');
  const unchanged = diff.intents.length - changed.length;
  ctx.out('dry run: nothing was stored');
  ctx.out('');
  ctx.out(`Objects: ${changed.length} to change${unchanged ? `, ${unchanged} unchanged` : ''}`);
  formatIntentDiff(changed).forEach((l) => ctx.out(`  ${l}`));
  ctx.out('');
  ctx.out(`Envoy resources: ${diff.rendered.length ? `${diff.rendered.length} to change` : 'no change'}`);
  formatRenderedDiff(diff.rendered).forEach((l) => ctx.out(l));
}

/** `xdsflare diff -f …`: apply --dry-run under kubectl diff's name. */
export const diffCommand: Command = {
  name: 'diff',
  summary: 'What applying the manifests would change, stored nowhere (apply --dry-run); exit 1 when something would.',
  usage: '-f <file|dir|-> [-f ...] [-n <ns>] [--prune -l <selector>]',
  description: `
The same as "xdsflare apply --dry-run": each object's diff and the Envoy resources the change adds,
changes or removes per view. Exit codes as kubectl diff's: 0 no changes, 1 changes, 3 a real apply
would be refused, 6 not authorised, 8 an unexpected error (1 elsewhere).`,
  options: {
    filename: apply.options.filename!,
    prune: apply.options.prune!,
    selector: apply.options.selector!,
    namespace: apply.options.namespace!,
  },
  positionals: { min: 0, max: 0 },
  unexpectedCode: () => EXIT.diffUnexpected,
  run: (ctx, values) => apply.run(ctx, { ...values, 'dry-run': true }, []),
};

import { stringOption } from '../args';
import type { Command, Context } from '../command';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { readManifests } from '../manifest';
import { resolveResource, RESOURCES, type Resource } from '../resources';
import { ROLLOUT_OVERRIDE_OPTIONS, rolloutOverrideQuery } from '../rollout-override';

interface Target {
  resource: Resource;
  namespace: string;
  name: string;
}

const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** The objects a manifest names (kind, namespace, name), whatever else it holds. */
async function targetsOf(ctx: Context, files: string[], namespace: string | undefined): Promise<Target[]> {
  const docs = await readManifests(files, ctx.cwd, ctx.readStdin);
  return docs.map((d) => {
    const o = d.object as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const resource = typeof o?.kind === 'string' ? resolveResource(o.kind) : undefined;
    const name = o?.metadata?.name;
    const where = `${d.file}, document ${d.document}`;
    if (!resource || typeof name !== 'string') throw new UsageError(`${where}: needs a kind the edge stores and metadata.name`);
    const ns = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : (namespace ?? 'default');
    if (namespace && ns !== namespace) throw new UsageError(`${where}: in namespace "${ns}", not -n's "${namespace}"`);
    return { resource, namespace: ns, name };
  });
}

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete objects: those a manifest names (-f), or one by kind and name.',
  usage: '-f <file|dir|-> [-f ...] | <kind> <name> [-n <ns>] [--dry-run] [--ignore-not-found] [--force|--abort-rollout]',
  description: `
Each object is deleted by its own request, so each is a revision of its own (use "apply --prune"
to delete several in one revision). An object still referenced (a DestinationRule's host, a
Secret a Gateway names) is refused, and nothing more is deleted after it. The VirtualService of an
active rollout is refused too, unless --abort-rollout (the rollout aborts with it) or --force.
Exit codes: 0 deleted, 3 refused (still referenced), 7 not found (0 with --ignore-not-found).`,
  options: {
    filename: { type: 'string', short: 'f', multiple: true, value: '<path>', description: 'delete the objects this file, directory or - (stdin) names' },
    namespace: { type: 'string', short: 'n', value: '<ns>', description: 'namespace (default "default"; of objects a manifest names without one)' },
    'dry-run': { type: 'boolean', description: 'check, store nothing' },
    'ignore-not-found': { type: 'boolean', description: 'an object that does not exist is no error' },
    ...ROLLOUT_OVERRIDE_OPTIONS,
  },
  positionals: { min: 0, max: 2 },
  async run(ctx, values, positionals) {
    const files = list(values.filename);
    const namespace = stringOption(values, 'namespace');
    let targets: Target[];
    if (files.length) {
      if (positionals.length) throw new UsageError('delete takes -f or <kind> <name>, not both');
      targets = await targetsOf(ctx, files, namespace);
    } else {
      const [kind, name] = positionals;
      if (!kind || !name) throw new UsageError('delete needs -f <file> or <kind> <name>');
      const resource = resolveResource(kind);
      if (!resource) throw new UsageError(`unknown kind "${kind}"; expected one of ${RESOURCES.map((r) => r.plural).join(', ')}`);
      targets = [{ resource, namespace: namespace ?? 'default', name }];
    }
    const dryRun = values['dry-run'] === true;
    const override = rolloutOverrideQuery(values);
    for (const t of targets) {
      const what = `${t.resource.kind} ${t.namespace}/${t.name}`;
      try {
        const { answer, body } = await ctx.client.json<{ revision?: number; warnings?: { path: string; message: string; object?: string }[] }>('DELETE', `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/${t.resource.plural}/${encodeURIComponent(t.name)}`, { query: { dryRun, ...override } });
        for (const w of body.warnings ?? []) ctx.err(`warning: ${w.object ? `${w.object}: ` : ''}${w.path ? `${w.path}: ` : ''}${w.message}`);
        if (ctx.json) ctx.out(answer.text.trim());
        else ctx.out(`${what} ${dryRun ? 'would be deleted (dry run)' : `deleted${body.revision ? ` in revision ${body.revision}` : ''}`}`);
      } catch (err) {
        if (err instanceof CliError && err.code === EXIT.notFound && values['ignore-not-found'] === true) {
          if (!ctx.json) ctx.out(`${what} not found`);
          continue;
        }
        throw err;
      }
    }
    return EXIT.ok;
  },
};

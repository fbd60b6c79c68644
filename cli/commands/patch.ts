import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { stringOption } from '../args';
import type { Command, Context, Values } from '../command';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { resolveResource, RESOURCES, type Resource } from '../resources';
import { ROLLOUT_OVERRIDE_OPTIONS, rolloutOverrideQuery } from '../rollout-override';

type Json = Record<string, any>;

function target(values: Values, kind: string | undefined, name: string | undefined): { resource: Resource; path: string; what: string } {
  const resource = kind ? resolveResource(kind) : undefined;
  if (!resource) throw new UsageError(`unknown kind "${kind}"; expected one of ${RESOURCES.map((r) => r.plural).join(', ')}`);
  const ns = stringOption(values, 'namespace') ?? 'default';
  return { resource, path: `/api/v1/namespaces/${encodeURIComponent(ns)}/${resource.plural}/${encodeURIComponent(name!)}`, what: `${resource.kind} ${ns}/${name}` };
}

/** The answer of a write to one object: warnings to stderr, then what changed. */
function report(ctx: Context, what: string, text: string, body: Json, dryRun: boolean): number {
  for (const w of body.warnings ?? []) ctx.err(`warning: ${w.object ? `${w.object}: ` : ''}${w.path ? `${w.path}: ` : ''}${w.message}`);
  if (ctx.json) ctx.out(text.trim());
  else if (dryRun) ctx.out(`${what} ${(body.changes ?? []).some((c: Json) => c.op !== 'unchanged') ? 'would change' : 'would not change'} (dry run)`);
  else ctx.out(`${what} ${body.metadata?.resourceVersion ? `at revision ${body.metadata.resourceVersion}` : 'unchanged'}`);
  const refused = dryRun ? (body.errors ?? []) : [];
  for (const e of refused) ctx.err(`  would be refused: ${e.object ? `${e.object}: ` : ''}${e.path}: ${e.message}`);
  return refused.length ? EXIT.refused : EXIT.ok;
}

const common = {
  namespace: { type: 'string', short: 'n', value: '<ns>', description: 'namespace (default "default")' },
  'dry-run': { type: 'boolean', description: 'check, store nothing' },
  ...ROLLOUT_OVERRIDE_OPTIONS,
} as const;

export const patchCommand: Command = {
  name: 'patch',
  summary: 'Change part of one object with a JSON merge patch or a JSON patch, as kubectl patch.',
  usage: '<kind> <name> [-n <ns>] (-p <patch> | --patch-file <file>) [--type merge|json] [--dry-run] [--force|--abort-rollout]',
  description: `
--type merge (the default) is RFC 7396 (objects merge, null removes a field); --type json is an
RFC 6902 list of operations. The patch applies to the object as "get -o json" shows it and commits
only if the object did not change meanwhile. A patch that moves the weights of a route an active
rollout drives is refused (exit 3, naming the rollout) unless --abort-rollout or --force.
Exit codes: 0 patched, 3 refused, 7 not found.`,
  options: {
    patch: { type: 'string', short: 'p', value: '<json>', description: 'the patch (JSON or YAML)' },
    'patch-file': { type: 'string', value: '<file>', description: 'read the patch from a file' },
    type: { type: 'string', value: 'merge|json', description: 'merge patch (default) or JSON patch' },
    ...common,
  },
  positionals: { min: 2, max: 2 },
  async run(ctx, values, [kind, name]) {
    const t = target(values, kind, name);
    const inline = stringOption(values, 'patch');
    const file = stringOption(values, 'patch-file');
    if ((inline === undefined) === (file === undefined)) throw new UsageError('patch needs one of -p <patch> or --patch-file <file>');
    const type = stringOption(values, 'type') ?? 'merge';
    if (type !== 'merge' && type !== 'json') throw new UsageError(`--type must be merge or json, not "${type}"`);
    let patch: unknown;
    try {
      patch = parse(inline ?? readFileSync(join(ctx.cwd, file!), 'utf8'));
    } catch (err) {
      throw new UsageError(`the patch is not JSON or YAML: ${(err as Error).message}`);
    }
    const dryRun = values['dry-run'] === true;
    const { answer, body } = await ctx.client.json<Json>('PATCH', t.path, {
      query: { dryRun, ...rolloutOverrideQuery(values) },
      body: JSON.stringify(patch),
      contentType: type === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json',
    });
    return report(ctx, t.what, answer.text, body, dryRun);
  },
};

/** The editor to run: XDSFLARE_EDITOR, then EDITOR, then vi (as kubectl: KUBE_EDITOR, EDITOR, vi). */
const editorOf = (env: Record<string, string | undefined>) => env.XDSFLARE_EDITOR || env.VISUAL || env.EDITOR || 'vi';

export const editCommand: Command = {
  name: 'edit',
  summary: 'Edit one object in $EDITOR and write it back, as kubectl edit.',
  usage: '<kind> <name> [-n <ns>] [--dry-run] [--force|--abort-rollout]',
  description: `
The object is opened as YAML in XDSFLARE_EDITOR, VISUAL or EDITOR (default vi; run through the
shell, so "code --wait" works). Saved unchanged, nothing is written. Otherwise it is written back
with If-Match, so an object changed meanwhile is refused (exit 3) rather than overwritten. Moving the
weights of a route an active rollout drives is refused unless --abort-rollout or --force.
Exit codes: 0 written (or unchanged), 3 refused, 7 not found.`,
  options: { ...common },
  positionals: { min: 2, max: 2 },
  async run(ctx, values, [kind, name]) {
    const t = target(values, kind, name);
    const { answer, body } = await ctx.client.json<Json>('GET', t.path);
    const original = stringify(body, { lineWidth: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'xdsflare-edit-'));
    const file = join(dir, `${t.resource.plural}-${name}.yaml`);
    let edited: string;
    try {
      writeFileSync(file, `# Edit ${t.what}; save and quit to write it back, or save it unchanged to cancel.\n${original}`);
      const run = spawnSync(`${editorOf(ctx.env)} "${file}"`, { shell: true, stdio: 'inherit', env: { ...process.env, ...ctx.env } as NodeJS.ProcessEnv });
      if (run.status !== 0) throw new CliError(EXIT.unexpected, `the editor (${editorOf(ctx.env)}) exited with ${run.status ?? run.signal}; nothing was written`);
      edited = readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    let object: unknown;
    try {
      object = parse(edited);
    } catch (err) {
      throw new CliError(EXIT.refused, `the edited object is not YAML: ${(err as Error).message}; nothing was written`);
    }
    if (JSON.stringify(object) === JSON.stringify(body)) {
      if (!ctx.json) ctx.out(`${t.what} unchanged: nothing was written`);
      else ctx.out(answer.text.trim());
      return EXIT.ok;
    }
    const dryRun = values['dry-run'] === true;
    const etag = answer.headers.get('etag');
    const put = await ctx.client.json<Json>('PUT', t.path, {
      query: { dryRun, ...rolloutOverrideQuery(values) },
      body: JSON.stringify(object),
      ...(etag ? { headers: { 'if-match': etag } } : {}),
    });
    return report(ctx, t.what, put.answer.text, put.body, dryRun);
  },
};

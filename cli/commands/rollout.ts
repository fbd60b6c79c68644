import { readFile } from 'node:fs/promises';
import { readAnalysisFile } from './rollout-analysis';
import { resolve } from 'node:path';
import { durationOption, stringOption } from '../args';
import type { Command, Context, OptionSpec, Values } from '../command';
import { EXIT, UsageError, type ExitCode } from '../exit-codes';
import { parseManifestText, readManifests } from '../manifest';
import { waitLoop } from '../wait';
import { formatRollout, rolloutProgress, TERMINAL, type Destination, type Rollout } from './rollout-format';

const WAIT: OptionSpec = { type: 'string', value: '<dur>', bareValue: '10m', description: 'wait until the rollout succeeds or aborts' };

/** `host[:subset]` → an Istio Destination. */
export function parseDestination(text: string, flag: string): Destination {
  const [host, subset, extra] = text.split(':');
  if (!host || extra !== undefined || subset === '') throw new UsageError(`${flag} takes host[:subset], not "${text}"`);
  return subset ? { host, subset } : { host };
}

/** `10,25,50,100` → [10, 25, 50, 100] (the edge checks the rest: increasing, 1..100, ending at 100). */
export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((s) => s.trim());
  if (steps.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--steps takes whole percentages separated by commas, e.g. 10,25,50,100, not "${text}"`);
  return steps.map(Number);
}

function seconds(values: Values, name: string): number | undefined {
  const ms = durationOption(values, name);
  if (ms === undefined) return undefined;
  if (ms % 1000) throw new UsageError(`--${name} takes whole seconds, e.g. 30s or 5m`);
  return ms / 1000;
}

/** The rollout's body: the -f file (YAML or JSON), with the flags given over it. */
async function rolloutBody(ctx: Context, values: Values): Promise<Record<string, unknown>> {
  const file = stringOption(values, 'filename');
  let body: Record<string, unknown> = {};
  if (file) {
    const docs = parseManifestText(file === '-' ? await ctx.readStdin() : await readFile(resolve(ctx.cwd, file), 'utf8').catch(() => Promise.reject(new UsageError(`${file}: cannot read it`))), file);
    const only = docs[0]?.object;
    if (docs.length !== 1 || typeof only !== 'object' || only === null || Array.isArray(only)) throw new UsageError(`${file} must hold one rollout object`);
    body = only as Record<string, unknown>;
  }
  const vs = stringOption(values, 'virtual-service');
  if (vs !== undefined) {
    const [namespace, name, extra] = vs.includes('/') ? vs.split('/') : ['default', vs];
    if (!namespace || !name || extra !== undefined) throw new UsageError(`--virtual-service takes namespace/name, not "${vs}"`);
    body.virtualService = { namespace, name };
  }
  const set = (key: string, value: unknown) => value !== undefined && (body[key] = value);
  set('name', stringOption(values, 'name'));
  set('route', stringOption(values, 'route'));
  const stable = stringOption(values, 'stable');
  const candidate = stringOption(values, 'candidate');
  const steps = stringOption(values, 'steps');
  set('stable', stable && parseDestination(stable, '--stable'));
  set('candidate', candidate && parseDestination(candidate, '--candidate'));
  set('steps', steps && parseSteps(steps));
  set('pauseSeconds', seconds(values, 'pause'));
  set('timeoutSeconds', seconds(values, 'timeout'));
  const analysis = stringOption(values, 'analysis');
  if (analysis) body.analysis = await readAnalysisFile(ctx.cwd, analysis).catch((err: Error) => Promise.reject(new UsageError(`--analysis ${analysis}: ${err.message}`)));
  const manifest = stringOption(values, 'manifest');
  if (manifest) body.manifest = (await readManifests([manifest], ctx.cwd, ctx.readStdin)).map((d) => d.object);
  if (!file) {
    const missing = ['virtual-service', 'stable', 'candidate'].filter((f) => values[f] === undefined);
    if (missing.length) throw new UsageError(`rollout start needs -f <file> or ${missing.map((m) => `--${m}`).join(', ')}`);
  }
  return body;
}

/** Prints a rollout; with a wait, holds until it is terminal. The exit code says how it ended. */
async function report(ctx: Context, rollout: Rollout, text: string, waitMs: number | undefined): Promise<ExitCode> {
  let r = rollout;
  let t = text;
  if (waitMs !== undefined && !TERMINAL.has(r.state)) ({ body: r, text: t } = await waitLoop<Rollout>(ctx, `/api/v1/rollouts/${encodeURIComponent(String(r.id))}`, waitMs, (x) => TERMINAL.has(x.state), rolloutProgress));
  if (ctx.json) ctx.out(t.trim());
  else formatRollout(r).forEach((l) => ctx.out(l));
  if (r.state === 'aborted') {
    ctx.err(`rollout ${r.id} aborted${r.abort ? ` (${r.abort.reason})${r.abort.message ? `: ${r.abort.message}` : ''}` : ''}`);
    return EXIT.rejected;
  }
  if (waitMs !== undefined && r.state !== 'succeeded') {
    ctx.err(`timed out: rollout ${r.id} is still ${r.state}`);
    return EXIT.timeout;
  }
  return EXIT.ok;
}

const start: Command = {
  name: 'rollout start',
  summary: 'Start a stepped canary: the edge moves the route\'s weight to the candidate step by step.',
  usage: '-f <rollout.yaml> | --virtual-service <ns/name> --stable <host[:subset]> --candidate <host[:subset]> [--route <name>] [--steps 10,25,50,100] [--pause 30s] [--timeout 5m] [--manifest <file|dir>] [--analysis <file>] [--wait [<dur>]]',
  description: `
Each step advances once the previous one has converged on every proxy and the pause has passed; a
NACK or a step that does not converge within the timeout aborts the rollout, and the edge puts the
route back on the stable destination by itself. Flags given with -f override the file's fields.
--manifest commits those objects (the candidate's config) together with the first step.
Exit codes: 0 started (with --wait: succeeded), 3 refused, 4 aborted, 5 still running when the wait ended.`,
  options: {
    filename: { type: 'string', short: 'f', value: '<file>', description: 'the rollout as YAML or JSON (- for stdin)' },
    name: { type: 'string', value: '<name>', description: 'a label for the rollout' },
    'virtual-service': { type: 'string', value: '<ns/name>', description: 'the VirtualService whose route moves' },
    route: { type: 'string', value: '<name>', description: "the http route's name (or #0 for the first); optional with one route" },
    stable: { type: 'string', value: '<host[:subset]>', description: 'where the traffic is now' },
    candidate: { type: 'string', value: '<host[:subset]>', description: 'where it goes' },
    steps: { type: 'string', value: '<w,w,...>', description: 'candidate weight per step (default 10,25,50,100)' },
    pause: { type: 'string', value: '<dur>', description: 'minimum pause after a step converged (default 30s)' },
    timeout: { type: 'string', value: '<dur>', description: 'a step not converged within this aborts (default 5m)' },
    manifest: { type: 'string', value: '<file|dir>', description: 'objects committed with the first step' },
    analysis: { type: 'string', value: '<file>', description: 'metric analysis (provider, metrics, background) as YAML or JSON; see docs/rollouts.md' },
    wait: WAIT,
  },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const waitMs = durationOption(values, 'wait');
    const body = await rolloutBody(ctx, values);
    const { body: rollout, answer } = await ctx.client.json<Rollout>('POST', '/api/v1/rollouts', { body: JSON.stringify(body) });
    if (!ctx.json && waitMs !== undefined) ctx.err(`rollout ${rollout.id} started; waiting for it to finish`);
    return report(ctx, rollout, answer.text, waitMs);
  },
};

const status: Command = {
  name: 'rollout status',
  summary: 'Where a rollout stands: state, step, weight, each step\'s outcome, and why it aborted.',
  usage: '<id> [--wait [<dur>]]',
  description: `
Exit codes: 0 progressing, paused or succeeded (with --wait: succeeded), 4 aborted, 5 still running
when the wait ended, 7 no such rollout.`,
  options: { wait: WAIT },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [id]) {
    const waitMs = durationOption(values, 'wait');
    const { body, answer } = await ctx.client.json<Rollout>('GET', `/api/v1/rollouts/${encodeURIComponent(id!)}`);
    return report(ctx, body, answer.text, waitMs);
  },
};

/** pause, resume, promote, abort: one POST each. */
function action(verb: 'pause' | 'resume' | 'promote' | 'abort', summary: string): Command {
  const waits = verb === 'resume' || verb === 'promote';
  return {
    name: `rollout ${verb}`,
    summary,
    usage: `<id>${verb === 'abort' ? ' [--reason <text>]' : ''}${waits ? ' [--wait [<dur>]]' : ''}`,
    description: `Exit codes: 0 done${waits ? ' (with --wait: succeeded), 4 aborted, 5 still running when the wait ended' : ''}, 3 refused (the rollout has finished), 7 no such rollout.`,
    options: verb === 'abort' ? { reason: { type: 'string', value: '<text>', description: 'recorded with the abort' } } : waits ? { wait: WAIT } : {},
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [id]) {
      const reason = stringOption(values, 'reason');
      const { body, answer } = await ctx.client.json<Rollout>('POST', `/api/v1/rollouts/${encodeURIComponent(id!)}/${verb}`, reason === undefined ? {} : { body: JSON.stringify({ reason }) });
      if (verb === 'abort') {
        if (ctx.json) ctx.out(answer.text.trim());
        else formatRollout(body).forEach((l) => ctx.out(l));
        return EXIT.ok;
      }
      return report(ctx, body, answer.text, waits ? durationOption(values, 'wait') : undefined);
    },
  };
}

export const rolloutCommands: Command[] = [
  start,
  status,
  action('pause', 'Hold a rollout at its current step.'),
  action('resume', 'Let a paused rollout continue.'),
  action('promote', 'Jump to 100% (still waits for convergence before it succeeds).'),
  action('abort', 'Stop a rollout and put the route back on the stable destination.'),
];

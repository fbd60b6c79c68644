import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { parseInvocation } from './args';
import { ciHeaders } from './ci-env';
import { Client } from './client';
import { commandHelp, GLOBAL_OPTIONS, optionLines, type Command, type Context, type Values } from './command';
import { apply, diffCommand } from './commands/apply';
import { bootstrap } from './commands/bootstrap';
import { exportCommand } from './commands/export';
import { get } from './commands/get';
import { rollback } from './commands/rollback';
import { rolloutCommands } from './commands/rollout';
import { status } from './commands/status';
import { completionCommands } from './commands/completion';
import { configCommands } from './commands/config';
import { deleteCommand } from './commands/delete';
import { proxyCommands } from './commands/proxy';
import { identityCommands } from './commands/identity';
import { editCommand, patchCommand } from './commands/patch';
import { describeCommand, proxyConfigCommand } from './commands/describe';
import { resolveTarget } from './contexts';
import { CliError, EXIT, UsageError } from './exit-codes';

declare const XDSFLARE_VERSION: string | undefined;
/** Set by the build (scripts/build-cli.mjs) from package.json. */
export const VERSION = typeof XDSFLARE_VERSION === 'string' ? XDSFLARE_VERSION : 'dev';

export const COMMANDS: Command[] = [apply, diffCommand, get, deleteCommand, patchCommand, editCommand, describeCommand, status, ...rolloutCommands, rollback, ...proxyCommands, ...identityCommands, proxyConfigCommand, bootstrap, exportCommand, ...configCommands, ...completionCommands(() => COMMANDS)];

const DEFAULT_SERVER = 'http://127.0.0.1:8787';

function overview(): string {
  const shown = COMMANDS.filter((c) => !c.hidden);
  const width = Math.max(...shown.map((c) => c.name.length));
  return [
    `xdsflare ${VERSION}: the xdsflare control plane from the command line (and from CI).`,
    '',
    'Usage: xdsflare <command> [options]',
    '',
    'Commands:',
    ...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: XDSFLARE_SERVER, XDSFLARE_TOKEN, XDSFLARE_CONTEXT, XDSFLARE_CONFIG (the contexts file, default',
    '~/.config/xdsflare/config.yaml); CI identifiers from XDSFLARE_CI_RUN_ID, XDSFLARE_CI_PIPELINE,',
    'XDSFLARE_CI_COMMIT or the CI system (GitHub Actions, GitLab, Buildkite, CircleCI, Azure Pipelines, Jenkins).',
    'Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 refused input, 4 rejected by proxies or rollout aborted,',
    '5 timed out waiting, 6 not authorised, 7 not found; diff and apply --dry-run: 0 no changes, 1 changes, 8',
    'unexpected error. "xdsflare <command> --help" for each command.',
  ].join('\n');
}

/** -o yaml: each JSON answer printed as a YAML document (`---` between them); other text as it is. */
function yamlDocuments(stdout: (text: string) => void): (text: string) => void {
  let first = true;
  return (text) => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      stdout(text);
      return;
    }
    stdout(`${first ? '' : '---\n'}${stringify(doc, { lineWidth: 0 }).trimEnd()}`);
    first = false;
  };
}

export interface RunOptions {
  /** Whether stderr is a terminal: progress lines then repeat as a heartbeat, else only changes are printed. */
  stderrIsTTY?: boolean;
  /** Whether stdout is a terminal: get --watch redraws the screen, else prints each change once. */
  stdoutIsTTY?: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

/** Runs one invocation and returns its exit code; never throws. */
export async function run(argv: string[], io: RunOptions): Promise<number> {
  let command: Command | undefined;
  let values: Values = {};
  try {
    const inv = parseInvocation(argv, COMMANDS);
    command = inv.command;
    values = inv.values;
    if (inv.version) {
      io.stdout(VERSION);
      return EXIT.ok;
    }
    if (inv.help || !inv.command) {
      io.stdout(inv.command ? commandHelp(inv.command) : overview());
      return inv.help ? EXIT.ok : EXIT.usage;
    }
    const output = typeof inv.values.output === 'string' ? inv.values.output : 'text';
    const flag = (name: string) => (typeof inv.values[name] === 'string' ? (inv.values[name] as string) : undefined);
    // Offline commands (completion, config) read no server: a broken config file must not stop them.
    const { server, token } = inv.command.offline ? { server: DEFAULT_SERVER, token: undefined } : resolveTarget({ server: flag('server'), token: flag('token'), context: flag('context') }, io.env, DEFAULT_SERVER);
    try {
      new URL(server);
    } catch {
      throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${server}"`);
    }
    const client = new Client({
      server,
      ...(token ? { token } : {}),
      headers: { 'user-agent': `xdsflare-cli/${VERSION}`, ...ciHeaders(io.env) },
      idempotencyKey: `xdsflare-${randomUUID()}`,
    });
    const structured = output === 'json' || output === 'yaml';
    const out = output === 'yaml' ? yamlDocuments(io.stdout) : io.stdout;
    let last = '';
    // A terminal gets a line per look (a heartbeat with the time waited); a log only each change.
    const progress = (line: string, elapsedMs: number, totalMs: number) => {
      if (io.stderrIsTTY) io.stderr(`waiting (${Math.round(elapsedMs / 1000)}s of ${Math.round(totalMs / 1000)}s): ${line}`);
      else if (line !== last) io.stderr(`waiting: ${line}`);
      last = line;
    };
    const ctx: Context = { client, json: structured, output, wide: output === 'wide', stdoutIsTTY: io.stdoutIsTTY === true, out, err: io.stderr, env: io.env, cwd: io.cwd, readStdin: io.readStdin, progress };
    return await inv.command.run(ctx, inv.values, inv.positionals);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}`);
      err.lines.forEach((l) => io.stderr(l));
      if (err instanceof UsageError) io.stderr(command ? `see: xdsflare ${command.name} --help` : 'see: xdsflare --help');
      return err.code === EXIT.unexpected ? (command?.unexpectedCode?.(values) ?? err.code) : err.code;
    }
    io.stderr(`error: ${(err as Error)?.stack ?? String(err)}`);
    return command?.unexpectedCode?.(values) ?? EXIT.unexpected;
  }
}

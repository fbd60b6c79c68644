import { randomUUID } from 'node:crypto';
import { parseInvocation } from './args';
import { ciHeaders } from './ci-env';
import { Client } from './client';
import { commandHelp, GLOBAL_OPTIONS, optionLines, type Command, type Context } from './command';
import { apply } from './commands/apply';
import { bootstrap } from './commands/bootstrap';
import { exportCommand } from './commands/export';
import { get } from './commands/get';
import { rollback } from './commands/rollback';
import { rolloutCommands } from './commands/rollout';
import { status } from './commands/status';
import { CliError, EXIT, UsageError } from './exit-codes';

declare const XDSFLARE_VERSION: string | undefined;
/** Set by the build (scripts/build-cli.mjs) from package.json. */
export const VERSION = typeof XDSFLARE_VERSION === 'string' ? XDSFLARE_VERSION : 'dev';

export const COMMANDS: Command[] = [apply, get, status, ...rolloutCommands, rollback, bootstrap, exportCommand];

const DEFAULT_SERVER = 'http://127.0.0.1:8787';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `xdsflare ${VERSION}: the xdsflare control plane from the command line (and from CI).`,
    '',
    'Usage: xdsflare <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: XDSFLARE_SERVER, XDSFLARE_TOKEN; CI identifiers from XDSFLARE_CI_RUN_ID, XDSFLARE_CI_PIPELINE,',
    'XDSFLARE_CI_COMMIT or the CI system (GitHub Actions, GitLab, Buildkite, CircleCI, Azure Pipelines, Jenkins).',
    'Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 refused input, 4 rejected by proxies or rollout aborted,',
    '5 timed out waiting, 6 not authorised, 7 not found. "xdsflare <command> --help" for each command.',
  ].join('\n');
}

export interface RunOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

/** Runs one invocation and returns its exit code; never throws. */
export async function run(argv: string[], io: RunOptions): Promise<number> {
  let command: Command | undefined;
  try {
    const inv = parseInvocation(argv, COMMANDS);
    command = inv.command;
    if (inv.version) {
      io.stdout(VERSION);
      return EXIT.ok;
    }
    if (inv.help || !inv.command) {
      io.stdout(inv.command ? commandHelp(inv.command) : overview());
      return inv.help ? EXIT.ok : EXIT.usage;
    }
    const output = typeof inv.values.output === 'string' ? inv.values.output : 'text';
    const server = (inv.values.server as string | undefined) ?? io.env.XDSFLARE_SERVER ?? DEFAULT_SERVER;
    try {
      new URL(server);
    } catch {
      throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${server}"`);
    }
    const token = (inv.values.token as string | undefined) ?? io.env.XDSFLARE_TOKEN;
    const client = new Client({
      server,
      ...(token ? { token } : {}),
      headers: { 'user-agent': `xdsflare-cli/${VERSION}`, ...ciHeaders(io.env) },
      idempotencyKey: `xdsflare-${randomUUID()}`,
    });
    const ctx: Context = { client, json: output === 'json', output, out: io.stdout, err: io.stderr, env: io.env, cwd: io.cwd, readStdin: io.readStdin };
    return await inv.command.run(ctx, inv.values, inv.positionals);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}`);
      err.lines.forEach((l) => io.stderr(l));
      if (err instanceof UsageError) io.stderr(command ? `see: xdsflare ${command.name} --help` : 'see: xdsflare --help');
      return err.code;
    }
    io.stderr(`error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.unexpected;
  }
}

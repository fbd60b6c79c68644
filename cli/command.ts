import type { Client } from './client';

/** One option of a command, as node:util parseArgs takes it, plus what its help says. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Help text. */
  description: string;
  /** The value's placeholder in help, e.g. `<dur>`. */
  value?: string;
  /** A string option that may be given bare (`--wait`): this value is used then. */
  bareValue?: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command runs with: the API client, where to write, and the process's surroundings. */
export interface Context {
  client: Client;
  /** `--output json` or `yaml`: print the server's answers exactly (yaml: the same documents as YAML), one per line (or document). */
  json: boolean;
  /** The raw `--output` value (bootstrap takes a file name there). */
  output: string;
  /** `-o wide`: tables with more columns (text otherwise). */
  wide: boolean;
  /** Whether stdout is a terminal: --watch redraws there, and prints only changes into a pipe. */
  stdoutIsTTY: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  readStdin: () => Promise<string>;
  /** Progress lines of long waits go to stderr: on a terminal every change, when piped or with -o json/yaml only the changes, never on stdout. */
  progress: (line: string, elapsedMs: number, totalMs: number) => void;
}

export interface Command {
  /** `apply`, or `rollout start` for a subcommand. */
  name: string;
  summary: string;
  /** Argument synopsis after the name, e.g. `-f <file|dir|-> [--dry-run]`. */
  usage: string;
  /** Longer help: what it does, what it prints, its exit codes. */
  description: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number };
  /** Takes `-o <file>` besides `-o text|json|yaml`. */
  outputFile?: boolean;
  /** Left out of the overview (`complete`, which the completion scripts call). */
  hidden?: boolean;
  /** Needs no server (completion, config): the contexts file is not read to find one. */
  offline?: boolean;
  /** The exit code for an unexpected error (diff: 8, since 1 means "changes"). */
  unexpectedCode?: (values: Values) => number | undefined;
  run(ctx: Context, values: Values, positionals: string[]): Promise<number>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  server: { type: 'string', value: '<url>', description: 'the edge API (env XDSFLARE_SERVER; default http://127.0.0.1:8787)' },
  token: { type: 'string', value: '<token>', description: 'bearer token (env XDSFLARE_TOKEN)' },
  context: { type: 'string', value: '<name>', description: 'a named server and token from the config file (env XDSFLARE_CONTEXT; see xdsflare config)' },
  output: { type: 'string', short: 'o', value: 'text|wide|json|yaml', description: 'json prints the server\'s answers exactly, one JSON document per line; yaml the same as YAML documents; wide: tables with more columns' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'print the version' },
};

export function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const value = o.type === 'string' ? ` ${o.bareValue !== undefined ? `[${o.value ?? '<value>'}]` : (o.value ?? '<value>')}` : '';
    return [`${o.short ? `-${o.short}, ` : '    '}--${name}${value}`, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`);
}

/** The help of one command. */
export function commandHelp(c: Command): string {
  const lines = [`Usage: xdsflare ${c.name} ${c.usage}`.trimEnd(), '', c.summary];
  if (c.description) lines.push('', c.description.trim());
  if (Object.keys(c.options).length) lines.push('', 'Options:', ...optionLines(c.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  return lines.join('\n');
}

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { GLOBAL_OPTIONS, type Command, type OptionSpec, type Values } from './command';
import { parseDuration } from './duration';
import { UsageError } from './exit-codes';

/** What -o takes (bootstrap also takes a file name). */
export const OUTPUTS = ['text', 'wide', 'json', 'yaml'];

export interface Invocation {
  /** Undefined for bare `xdsflare`, `--help` or `--version`. */
  command?: Command;
  values: Values;
  positionals: string[];
  help: boolean;
  version: boolean;
}

const toParseArgs = (options: Record<string, OptionSpec>): ParseArgsOptionsConfig =>
  Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );

/** `--wait` with nothing after it, or another option after it, takes its bare value (`--wait=5m`). */
function fillBareValues(args: string[], options: Record<string, OptionSpec>): string[] {
  const out = [...args];
  const end = out.indexOf('--');
  for (const [name, o] of Object.entries(options)) {
    if (o.bareValue === undefined) continue;
    for (let i = 0; i < (end < 0 ? out.length : end); i++) {
      if (out[i] !== `--${name}` && (!o.short || out[i] !== `-${o.short}`)) continue;
      const next = out[i + 1];
      if (next === undefined || next.startsWith('-')) out[i] = `--${name}=${o.bareValue}`;
    }
  }
  return out;
}

/** The command a word (or two, for `rollout start`) names. */
function findCommand(words: string[], commands: Command[]): { command?: Command; used: number } {
  const two = commands.find((c) => c.name === words.slice(0, 2).join(' '));
  if (two) return { command: two, used: 2 };
  const one = commands.find((c) => c.name === words[0]);
  if (one) return { command: one, used: 1 };
  const group = commands.filter((c) => c.name.startsWith(`${words[0]} `));
  if (group.length) {
    const subs = group.map((c) => c.name.split(' ')[1]).join(', ');
    throw new UsageError(words[1] ? `unknown command "${words[0]} ${words[1]}"; "${words[0]}" takes ${subs}` : `"${words[0]}" needs a subcommand: ${subs}`);
  }
  throw new UsageError(`unknown command "${words[0]}"; run xdsflare --help for the list`);
}

/**
 * argv (without node and the script) → the command and its options. Global options may come before
 * or after the command. `help <command>` is `<command> --help`.
 */
export function parseInvocation(argv: string[], commands: Command[]): Invocation {
  // First pass, global options only: where the command's words are.
  const { tokens } = parseArgs({ args: argv, options: toParseArgs(GLOBAL_OPTIONS), strict: false, allowPositionals: true, tokens: true });
  const words = tokens.filter((t) => t.kind === 'positional');
  let rest = [...argv];
  let help = false;
  let command: Command | undefined;
  if (words.length) {
    let skip = 0;
    let names = words.map((w) => w.value);
    if (names[0] === 'help') {
      help = true;
      skip = 1;
      names = names.slice(1);
    }
    if (names.length) {
      const found = findCommand(names, commands);
      command = found.command;
      skip += found.used;
    }
    const drop = new Set(words.slice(0, skip).map((w) => w.index));
    rest = argv.filter((_, i) => !drop.has(i));
  }

  const options = { ...GLOBAL_OPTIONS, ...command?.options };
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: fillBareValues(rest, options), options: toParseArgs(options), strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  help ||= values.help === true;
  if (command && !help) {
    const { min, max } = command.positionals;
    if (positionals.length < min) throw new UsageError(`xdsflare ${command.name} needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}: ${command.usage}`);
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}" for xdsflare ${command.name}`);
    const output = values.output;
    if (typeof output === 'string' && !command.outputFile && !OUTPUTS.includes(output)) throw new UsageError(`--output must be text, wide, json or yaml, not "${output}"`);
  } else if (!command && !help && values.version !== true && positionals.length) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`);
  }
  return { command, values, positionals, help, version: values.version === true };
}

/** `k=v` label arguments → their pairs, refusing anything else. */
export function parseLabels(items: string[] | undefined, flag = '--label'): [string, string][] {
  return (items ?? []).map((item) => {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError(`${flag} takes key=value, not "${item}"`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/** A string option's value, or a usage error naming it when required. */
export function stringOption(values: Values, name: string, required: true): string;
export function stringOption(values: Values, name: string, required?: false): string | undefined;
export function stringOption(values: Values, name: string, required = false): string | undefined {
  const v = values[name];
  if (typeof v === 'string') return v;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

/** A duration option in milliseconds (undefined when absent). */
export function durationOption(values: Values, name: string): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms instanceof Error) throw new UsageError(`--${name}: ${ms.message}`);
  return ms;
}

import t, { type Command as TabCommand } from '@bomb.sh/tab';
import type { Command } from '../command';
import { GLOBAL_OPTIONS } from '../command';
import { Client } from '../client';
import { configPath, readConfig, resolveTarget } from '../contexts';
import { EXIT, UsageError } from '../exit-codes';
import { resolveResource, RESOURCES } from '../resources';
import { CONFIG_TYPES } from './config-dump-format';

const SHELLS = ['bash', 'zsh', 'fish'];

/** Values an option completes to, where there is a known set. */
function optionValues(name: string, env: Record<string, string | undefined>): string[] | undefined {
  if (name === 'output') return ['text', 'wide', 'json', 'yaml'];
  if (name === 'type') return [...CONFIG_TYPES];
  if (name === 'mode') return ['rest', 'ads', 'file', 'grpc'];
  if (name === 'state') return ['progressing', 'paused', 'succeeded', 'aborted'];
  if (name === 'context') return contextNames(env);
  return undefined;
}

function contextNames(env: Record<string, string | undefined>): string[] {
  try {
    return Object.keys(readConfig(configPath(env)).contexts);
  } catch {
    return [];
  }
}

/** The first positional a command completes to, where there is a known set. */
function firstArgument(name: string, env: Record<string, string | undefined>): string[] | undefined {
  if (name === 'get') return [...RESOURCES.map((r) => r.plural), 'revisions', 'revision', 'rollouts', 'rollout', 'proxies', 'config'];
  if (name === 'delete' || name === 'patch' || name === 'edit') return RESOURCES.map((r) => r.plural);
  if (name === 'describe') return ['virtualservice', 'route', 'proxy'];
  if (name === 'proxy-config') return [...CONFIG_TYPES, 'all'];
  if (name === 'completion') return SHELLS;
  if (name === 'config use-context' || name === 'config delete-context' || name === 'config set-context') return contextNames(env);
  return undefined;
}

/** How long completion waits for the edge: a slow or absent server must not hang the shell. */
const NAMES_TIMEOUT_MS = 1500;

/** Commands whose second word names something on the edge: an object of the first word's kind, or a node. */
const NAMED = new Set(['get', 'describe', 'delete', 'edit', 'patch', 'proxy-config']);

/**
 * The object names or node ids a command's second word completes to, asked of the edge (the
 * context's or XDSFLARE_SERVER's, with its token) when the line is at that word; [] if it cannot answer
 * in time. Objects of every namespace unless -n names one.
 */
async function edgeNames(words: string[], env: Record<string, string | undefined>): Promise<string[]> {
  const positional = words.filter((w, i) => !w.startsWith('-') && !(i > 0 && /^-(n|o|l)$|^--(namespace|output|selector|server|token|context)$/.test(words[i - 1]!)));
  const [command, first] = positional;
  if (!command || !NAMED.has(command) || positional.length !== 3 || !first) return [];
  const at = words.findIndex((w) => w === '-n' || w === '--namespace');
  const ns = at >= 0 ? words[at + 1] : undefined;
  const nodes = command === 'proxy-config' || (command === 'describe' && first.startsWith('prox')) || (command === 'get' && first === 'config');
  const resource = nodes ? undefined : resolveResource(first === 'route' ? 'vs' : first);
  if (!nodes && !resource) return [];
  try {
    const { server, token } = resolveTarget({ server: undefined, token: undefined, context: undefined }, env, 'http://127.0.0.1:8787');
    const client = new Client({ server, ...(token ? { token } : {}), idempotencyKey: 'completion', attempts: 1 });
    const path = nodes ? '/api/v1/proxies' : ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/${resource!.plural}` : `/api/v1/${resource!.plural}`;
    let timer: number | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(r, NAMES_TIMEOUT_MS) as unknown as number));
    const answer = await Promise.race([client.json<{ items?: Record<string, any>[] }>('GET', path), late]).finally(() => clearTimeout(timer));
    return (answer?.body.items ?? []).map((o) => (nodes ? o.nodeId : o.metadata?.name)).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** Describes every command and option to tab (@bomb.sh/tab), which then answers the shell. */
function describe(commands: Command[], env: Record<string, string | undefined>, names: string[] = []): void {
  const add = (target: TabCommand, options: Command['options']) => {
    for (const [name, o] of Object.entries(options)) {
      const values = o.type === 'string' ? optionValues(name, env) : undefined;
      const handler = o.type === 'string' ? (complete: (value: string, description: string) => void) => (values ?? []).forEach((v) => complete(v, '')) : undefined;
      // tab takes a string third argument as a boolean flag's alias, a function as a value option's completer.
      if (handler) target.option(name, o.description, handler, o.short);
      else if (o.short) target.option(name, o.description, o.short);
      else target.option(name, o.description);
    }
  };
  add(t, GLOBAL_OPTIONS);
  for (const c of commands) {
    // Group words (rollout, proxy, config) as commands of their own, so "xdsflare rollout <TAB>" lists the verbs.
    const group = c.name.split(' ')[0]!;
    if (group !== c.name && !t.commands.has(group)) t.command(group, `${group} commands`);
    const cmd = t.command(c.name, c.summary);
    add(cmd, { ...c.options, ...GLOBAL_OPTIONS });
    const first = firstArgument(c.name, env);
    if (first) cmd.argument('first', (complete) => first.forEach((v) => complete(v, '')));
    if (NAMED.has(c.name)) cmd.argument('second', (complete) => names.forEach((v) => complete(v, '')));
  }
}

/** `xdsflare completion <shell>` prints the script; the script calls `xdsflare complete -- <words>`. */
export function completionCommands(all: () => Command[]): Command[] {
  const completion: Command = {
    name: 'completion',
    summary: 'Print a shell completion script: bash, zsh or fish.',
    usage: '<bash|zsh|fish>',
    description: `
Load it in the shell's startup file, e.g.
  bash: echo 'source <(xdsflare completion bash)' >> ~/.bashrc
  zsh:  echo 'source <(xdsflare completion zsh)' >> ~/.zshrc
  fish: xdsflare completion fish > ~/.config/fish/completions/xdsflare.fish
It completes commands, options, kinds, -o values, context names, and object names and node ids
(asked of the edge, for at most 1.5 s) by running
"xdsflare complete -- <words>"; made with @bomb.sh/tab).`,
    options: {},
    positionals: { min: 1, max: 1 },
    offline: true,
    async run(ctx, _values, [shell]) {
      if (!SHELLS.includes(shell!)) throw new UsageError(`completion takes ${SHELLS.join(', ')}, not "${shell}"`);
      describe(all(), ctx.env);
      t.setup('xdsflare', 'xdsflare', shell!);
      return EXIT.ok;
    },
  };
  const complete: Command = {
    name: 'complete',
    summary: 'What the completion scripts call (hidden).',
    usage: '-- <words>',
    description: '',
    options: {},
    positionals: { min: 0, max: 1000 },
    offline: true,
    hidden: true,
    async run(ctx, _values, words) {
      describe(all(), ctx.env, await edgeNames(words, ctx.env));
      t.parse(words);
      return EXIT.ok;
    },
  };
  return [completion, complete];
}

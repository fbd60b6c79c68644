import { stringOption } from '../args';
import type { Command, Context } from '../command';
import { configPath, readConfig, writeConfig } from '../contexts';
import { EXIT, UsageError } from '../exit-codes';
import { table } from '../format';

const path = (ctx: Context) => configPath(ctx.env);

const getContexts: Command = {
  name: 'config get-contexts',
  summary: 'List the named contexts (server and token) of the config file; * marks the current one.',
  usage: '',
  description: `
The file is $XDSFLARE_CONFIG, else $XDG_CONFIG_HOME/xdsflare/config.yaml, else
~/.config/xdsflare/config.yaml. Tokens are not printed.`,
  options: {},
  positionals: { min: 0, max: 0 },
  offline: true,
  async run(ctx) {
    const config = readConfig(path(ctx));
    const names = Object.keys(config.contexts);
    if (ctx.json) ctx.out(JSON.stringify({ currentContext: config['current-context'] ?? null, contexts: names.map((name) => ({ name, server: config.contexts[name]!.server, token: config.contexts[name]!.token ? 'set' : 'none' })) }));
    else if (!names.length) ctx.out(`no contexts in ${path(ctx)}; add one with: xdsflare config set-context <name> --server <url> --token <token>`);
    else ctx.out(table(['CURRENT', 'NAME', 'SERVER', 'TOKEN'], names.map((n) => [config['current-context'] === n ? '*' : '', n, config.contexts[n]!.server, config.contexts[n]!.token ? 'set' : '-'])));
    return EXIT.ok;
  },
};

const setContext: Command = {
  name: 'config set-context',
  summary: 'Add or change a named context: a server and its token.',
  usage: '<name> [--server <url>] [--token <token>]',
  description: `
Writes the config file (created readable by its owner only: it holds tokens). Given flags replace
the context's values; the first context added becomes the current one.`,
  options: {},
  positionals: { min: 1, max: 1 },
  offline: true,
  async run(ctx, values, [name]) {
    const file = path(ctx);
    const config = readConfig(file);
    const server = stringOption(values, 'server');
    const token = stringOption(values, 'token');
    const before = config.contexts[name!];
    if (!before && !server) throw new UsageError(`a new context needs --server <url>`);
    if (server) {
      try {
        new URL(server);
      } catch {
        throw new UsageError(`--server must be a URL such as http://127.0.0.1:8787, not "${server}"`);
      }
    }
    config.contexts[name!] = { server: server ?? before!.server, ...(token ?? before?.token ? { token: token ?? before!.token } : {}) };
    config['current-context'] ??= name!;
    writeConfig(file, config);
    ctx.out(`context ${name} ${before ? 'changed' : 'added'} in ${file}${config['current-context'] === name ? ' (current)' : ''}`);
    return EXIT.ok;
  },
};

/** Refuses a context name the file does not have, saying which it has. */
function requireContext(config: ReturnType<typeof readConfig>, file: string, name: string): void {
  const known = Object.keys(config.contexts);
  if (!config.contexts[name]) throw new UsageError(`no context "${name}" in ${file}${known.length ? ` (it has ${known.join(', ')})` : ''}`);
}

const useContext: Command = {
  name: 'config use-context',
  summary: 'Make a named context the current one.',
  usage: '<name>',
  description: 'Commands then talk to its server with its token, unless --context, --server, --token or the XDSFLARE_* variables say otherwise.',
  options: {},
  positionals: { min: 1, max: 1 },
  offline: true,
  async run(ctx, _values, [name]) {
    const file = path(ctx);
    const config = readConfig(file);
    requireContext(config, file, name!);
    config['current-context'] = name!;
    writeConfig(file, config);
    ctx.out(`switched to context ${name} (${config.contexts[name!]!.server})`);
    return EXIT.ok;
  },
};

const currentContext: Command = {
  name: 'config current-context',
  summary: 'Print the current context\'s name.',
  usage: '',
  description: 'Exit codes: 0 printed, 7 no current context.',
  options: {},
  positionals: { min: 0, max: 0 },
  offline: true,
  async run(ctx) {
    const current = readConfig(path(ctx))['current-context'];
    if (!current) {
      ctx.err(`no current context in ${path(ctx)}`);
      return EXIT.notFound;
    }
    ctx.out(current);
    return EXIT.ok;
  },
};

const deleteContext: Command = {
  name: 'config delete-context',
  summary: 'Remove a named context (and its token) from the config file.',
  usage: '<name>',
  description: '',
  options: {},
  positionals: { min: 1, max: 1 },
  offline: true,
  async run(ctx, _values, [name]) {
    const file = path(ctx);
    const config = readConfig(file);
    requireContext(config, file, name!);
    delete config.contexts[name!];
    if (config['current-context'] === name) delete config['current-context'];
    writeConfig(file, config);
    ctx.out(`context ${name} deleted`);
    return EXIT.ok;
  },
};

export const configCommands: Command[] = [getContexts, setContext, useContext, currentContext, deleteContext];

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from './exit-codes';

/** One named edge: where it is and the token to use there. */
export interface ContextEntry {
  server: string;
  token?: string;
}

/** The config file: named contexts and the one in use (kubectl's kubeconfig, kept small). */
export interface CliConfig {
  'current-context'?: string;
  contexts: Record<string, ContextEntry>;
}

/** `$XDSFLARE_CONFIG`, else `$XDG_CONFIG_HOME/xdsflare/config.yaml`, else `~/.config/xdsflare/config.yaml`. */
export function configPath(env: Record<string, string | undefined>): string {
  if (env.XDSFLARE_CONFIG) return env.XDSFLARE_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(env.HOME || env.USERPROFILE || '.', '.config'), 'xdsflare', 'config.yaml');
}

/** The config file, or an empty one when there is none; a file that is not such a config is a usage error naming it. */
export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new UsageError(`${path}: cannot read it (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw new UsageError(`${path}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const config = doc as Partial<CliConfig>;
  if (typeof doc !== 'object' || Array.isArray(doc) || (config.contexts !== undefined && (typeof config.contexts !== 'object' || Array.isArray(config.contexts)))) {
    throw new UsageError(`${path}: expected "contexts: {<name>: {server: <url>, token: <token>}}" and "current-context: <name>"`);
  }
  for (const [name, c] of Object.entries(config.contexts ?? {})) {
    if (typeof c?.server !== 'string' || (c.token !== undefined && typeof c.token !== 'string')) throw new UsageError(`${path}: context "${name}" needs server: <url> (and token: <text>, if any)`);
  }
  return { ...config, contexts: config.contexts ?? {} };
}

/** Writes the config atomically, readable by its owner only (it holds tokens). */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(config), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export interface Target {
  server: string;
  token?: string;
  /** The context used, if any. */
  context?: string;
}

/**
 * Where to send requests, by precedence: --server/--token, then the context --context names, then
 * XDSFLARE_SERVER/XDSFLARE_TOKEN, then the context XDSFLARE_CONTEXT or the file's current-context names,
 * then the default server. Each of server and token is taken from the first that sets it, except that a
 * context's token is only sent to that context's server.
 */
export function resolveTarget(flags: { server?: string; token?: string; context?: string }, env: Record<string, string | undefined>, fallbackServer: string): Target {
  const path = configPath(env);
  const named = flags.context ?? env.XDSFLARE_CONTEXT;
  let config: CliConfig | undefined;
  const contextOf = (name: string): ContextEntry => {
    config ??= readConfig(path);
    const c = config.contexts[name];
    if (!c) throw new UsageError(`no context "${name}" in ${path}${Object.keys(config.contexts).length ? ` (it has ${Object.keys(config.contexts).join(', ')})` : ''}; add one with: xdsflare config set-context ${name} --server <url> --token <token>`);
    return c;
  };
  const explicit = flags.context !== undefined ? contextOf(flags.context) : undefined;
  let ambient: ContextEntry | undefined;
  let ambientName: string | undefined;
  if (!explicit) {
    ambientName = named ?? (config ??= readConfig(path))['current-context'];
    if (ambientName !== undefined) ambient = contextOf(ambientName);
  }
  const server = flags.server ?? explicit?.server ?? env.XDSFLARE_SERVER ?? ambient?.server ?? fallbackServer;
  // A context's token goes to its own server only, never to one a flag or the environment chose instead.
  const own = (c: ContextEntry | undefined) => (c && c.server === server ? c.token : undefined);
  const token = flags.token ?? own(explicit) ?? env.XDSFLARE_TOKEN ?? own(ambient);
  const context = explicit ? flags.context : ambient ? ambientName : undefined;
  return { server, ...(token ? { token } : {}), ...(context ? { context } : {}) };
}

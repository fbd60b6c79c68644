import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseHostPort as parseServerAddress } from '../xds/bootstrap/address';
import type { HostPort } from '../xds/bootstrap/types';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the bridge needs to run, resolved from flags and `XDSFLARE_*` environment variables. */
export interface BridgeConfig {
  /** The edge API's base URL, without a trailing slash (`https://xds.example.com`). */
  edgeUrl: string;
  /** Bearer token for the edge (scopes `xds:read` and `status:write`). Never log it. */
  token: string;
  /** Where the token was read from, when it came from a file: re-read it to pick up a rotated Secret. */
  tokenFile?: string;
  /** gRPC ADS listen address, `host:port`. */
  adsAddress: string;
  /** HTTP health and metrics listen address, `host:port`. */
  opsAddress: string;
  pollIntervalMs: number;
  /** Fraction of the poll interval added or removed at random, so replicas do not poll in step. */
  pollJitter: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
  statusFlushMs: number;
  heartbeatMs: number;
  /** Where the last good snapshot is persisted, if anywhere. */
  stateFile?: string;
  drainTimeoutMs: number;
  bridgeId: string;
  logLevel: LogLevel;
  /** TLS on the ADS port: the server's certificate chain and key (PEM files, re-read as they rotate). */
  adsTlsCertFile?: string;
  adsTlsKeyFile?: string;
  /** CA bundle that client certificates (mTLS, SPIFFE IDs) are verified against; without it, clients authenticate with tokens only. */
  adsClientCaFile?: string;
  /** The SPIFFE trust domain whose identities this bridge serves. */
  trustDomain: string;
  /** Serve ADS without TLS and to clients that prove no identity (they may claim any view): explicit, and logged as a warning. */
  adsAllowPlaintext: boolean;
}

/** Defaults for every optional setting (the Kubernetes manifests are checked against these). */
export const BRIDGE_CONFIG_DEFAULTS = {
  adsAddress: '127.0.0.1:18000',
  opsAddress: '127.0.0.1:18001',
  pollIntervalMs: 1000,
  pollJitter: 0.2,
  backoffMaxMs: 30_000,
  requestTimeoutMs: 5000,
  statusFlushMs: 500,
  heartbeatMs: 30_000,
  drainTimeoutMs: 10_000,
  logLevel: 'info',
  trustDomain: 'cluster.local',
  adsAllowPlaintext: false,
} as const satisfies Partial<BridgeConfig>;

/** ACKs and NACKs must reach the edge's status within 2 s (design §4), so a flush may not wait longer. */
const MAX_STATUS_FLUSH_MS = 2000;

/** A setting that cannot be used; the message names both the flag and the environment variable. */
export class BridgeConfigError extends Error {
  override name = 'BridgeConfigError';
}

/** Injected for tests and manifest checks; defaults read the real file system and host name. */
export interface LoadBridgeConfigDeps {
  readFile?: (path: string) => string;
  hostname?: () => string;
}

type Key = Exclude<keyof BridgeConfig, 'token'> | 'tokenValue';
interface Option {
  key: Key;
  flag?: string;
  env: string;
  help: string;
}

// One table drives parsing and --help. There is deliberately no --token flag: argv shows in `ps`.
const OPTIONS: Option[] = [
  { key: 'edgeUrl', flag: '--edge-url', env: 'XDSFLARE_EDGE_URL', help: 'edge API base URL, http(s) (required)' },
  { key: 'tokenFile', flag: '--token-file', env: 'XDSFLARE_TOKEN_FILE', help: 'file holding the edge token (a mounted Secret)' },
  { key: 'tokenValue', env: 'XDSFLARE_TOKEN', help: 'the edge token itself (one of token file or token is required)' },
  { key: 'adsAddress', flag: '--ads-address', env: 'XDSFLARE_ADS_ADDRESS', help: 'gRPC ADS listen address host:port' },
  { key: 'opsAddress', flag: '--ops-address', env: 'XDSFLARE_OPS_ADDRESS', help: 'HTTP /healthz /readyz /metrics listen address' },
  { key: 'pollIntervalMs', flag: '--poll-interval-ms', env: 'XDSFLARE_POLL_INTERVAL_MS', help: 'how often the edge is polled' },
  { key: 'pollJitter', flag: '--poll-jitter', env: 'XDSFLARE_POLL_JITTER', help: 'random spread of the poll interval, 0 ≤ x < 1' },
  { key: 'backoffMaxMs', flag: '--backoff-max-ms', env: 'XDSFLARE_BACKOFF_MAX_MS', help: 'longest wait between retries while the edge fails' },
  { key: 'requestTimeoutMs', flag: '--request-timeout-ms', env: 'XDSFLARE_REQUEST_TIMEOUT_MS', help: 'timeout of one request to the edge' },
  { key: 'statusFlushMs', flag: '--status-flush-ms', env: 'XDSFLARE_STATUS_FLUSH_MS', help: `how often ACKs/NACKs are sent to the edge (≤ ${MAX_STATUS_FLUSH_MS})` },
  { key: 'heartbeatMs', flag: '--heartbeat-ms', env: 'XDSFLARE_HEARTBEAT_MS', help: 'how often connected proxies are reported as still seen' },
  { key: 'stateFile', flag: '--state-file', env: 'XDSFLARE_STATE_FILE', help: 'where the last good snapshot is persisted (optional)' },
  { key: 'drainTimeoutMs', flag: '--drain-timeout-ms', env: 'XDSFLARE_DRAIN_TIMEOUT_MS', help: 'longest graceful shutdown before exiting 1' },
  { key: 'bridgeId', flag: '--bridge-id', env: 'XDSFLARE_BRIDGE_ID', help: 'this replica’s name in reports (default: host name)' },
  { key: 'logLevel', flag: '--log-level', env: 'XDSFLARE_LOG_LEVEL', help: `one of ${LOG_LEVELS.join('|')}` },
  { key: 'adsTlsCertFile', flag: '--ads-tls-cert-file', env: 'XDSFLARE_ADS_TLS_CERT_FILE', help: 'ADS server certificate chain, PEM (TLS; with the key file)' },
  { key: 'adsTlsKeyFile', flag: '--ads-tls-key-file', env: 'XDSFLARE_ADS_TLS_KEY_FILE', help: 'ADS server private key, PEM' },
  { key: 'adsClientCaFile', flag: '--ads-client-ca-file', env: 'XDSFLARE_ADS_CLIENT_CA_FILE', help: 'CA bundle verifying client certificates (mTLS); without: tokens only' },
  { key: 'trustDomain', flag: '--trust-domain', env: 'XDSFLARE_TRUST_DOMAIN', help: 'SPIFFE trust domain of the identities served' },
  { key: 'adsAllowPlaintext', flag: '--ads-allow-plaintext', env: 'XDSFLARE_ADS_ALLOW_PLAINTEXT', help: 'true: serve ADS without TLS and clients without identity (local use)' },
];

const byKey = (key: Key) => OPTIONS.find((o) => o.key === key)!;
const label = (o: Option) => (o.flag ? `${o.flag} / ${o.env}` : o.env);
const fail = (key: Key, problem: string, got?: string): never => {
  throw new BridgeConfigError(`${label(byKey(key))}: ${problem}${got === undefined ? '' : `, got '${got}'`}`);
};

/** True when argv asks for help: print {@link bridgeUsage} and exit instead of loading the config. */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** The `--help` text: every flag, its environment variable and its default. */
export function bridgeUsage(): string {
  const defaults = BRIDGE_CONFIG_DEFAULTS as Record<string, unknown>;
  const rows = OPTIONS.map((o) => {
    const def = defaults[o.key] !== undefined ? ` (default ${defaults[o.key]})` : '';
    return `  ${(o.flag ?? '').padEnd(22)} ${o.env.padEnd(28)} ${o.help}${def}`;
  });
  return ['usage: bridge [flags]   (flags override XDSFLARE_* environment variables)', '', ...rows, '  --help, -h             print this text', ''].join('\n');
}

/** Splits a listen address, `host:port` (IPv6 as `[::1]:18000`); port 0 means "any free port". */
export function parseHostPort(address: string): HostPort {
  const hostPort = parseServerAddress(address, undefined, { anyPort: true });
  if (!hostPort) throw new Error(`must be host:port (IPv6 as [::]:18000), got '${address}'`);
  return hostPort;
}

function parseArgv(argv: string[]): Map<Key, string> {
  const values = new Map<Key, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') continue;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) throw new BridgeConfigError(`unknown argument '${arg}' (see --help)`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new BridgeConfigError(`${label(option)}: needs a value`);
    values.set(option.key, value);
  }
  return values;
}

function positiveInt(key: Key, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n <= 0) fail(key, 'must be a positive integer', raw);
  return n;
}

/**
 * Resolves the bridge's configuration. Flags (`--poll-interval-ms 500` or `--poll-interval-ms=500`)
 * override `XDSFLARE_*` variables; an empty variable counts as unset (manifests often template one in).
 * @throws {BridgeConfigError} naming the flag and the variable of the first bad or missing setting.
 */
export function loadBridgeConfig(argv: string[], env: Record<string, string | undefined>, deps: LoadBridgeConfigDeps = {}): BridgeConfig {
  const flags = parseArgv(argv);
  const get = (key: Key): string | undefined => flags.get(key) ?? (env[byKey(key).env] || undefined);

  const rawUrl = get('edgeUrl') ?? fail('edgeUrl', 'is required (the edge API URL, e.g. https://xds.example.com)');
  let url: URL | undefined;
  try {
    url = new URL(rawUrl);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail('edgeUrl', 'must be an http(s) URL', rawUrl);
  if (url.username || url.password) fail('edgeUrl', 'must not carry credentials (use the token file)');
  if (url.search || url.hash) fail('edgeUrl', 'must not have a query or fragment', rawUrl);

  // A flag names a file and beats both variables; between the variables, two sources is a mistake.
  const fileFlag = flags.get('tokenFile');
  const fileEnv = env.XDSFLARE_TOKEN_FILE || undefined;
  const tokenEnv = env.XDSFLARE_TOKEN || undefined;
  if (!fileFlag && fileEnv && tokenEnv) throw new BridgeConfigError('XDSFLARE_TOKEN and XDSFLARE_TOKEN_FILE are both set: set one');
  const tokenFile = fileFlag ?? (tokenEnv ? undefined : fileEnv);
  let token = tokenEnv;
  if (tokenFile) {
    try {
      token = (deps.readFile ?? ((p) => readFileSync(p, 'utf8')))(tokenFile);
    } catch (error) {
      fail('tokenFile', `cannot read ${tokenFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  token = token?.trim(); // `kubectl create secret --from-file` keeps the file's trailing newline
  if (!token) fail(tokenFile ? 'tokenFile' : 'tokenValue', tokenFile ? `${tokenFile} is empty` : 'a token is required: --token-file / XDSFLARE_TOKEN_FILE or XDSFLARE_TOKEN');
  if (/\s/.test(token!)) fail(tokenFile ? 'tokenFile' : 'tokenValue', 'the token contains whitespace');

  const address = (key: 'adsAddress' | 'opsAddress') => {
    const raw = get(key) ?? BRIDGE_CONFIG_DEFAULTS[key];
    try {
      return { raw, ...parseHostPort(raw) };
    } catch (error) {
      return fail(key, (error as Error).message.replace(/, got .*$/, ''), raw);
    }
  };
  const ads = address('adsAddress');
  const ops = address('opsAddress');
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::';
  if (ads.port !== 0 && ads.port === ops.port && (ads.host === ops.host || wildcard(ads.host) || wildcard(ops.host))) {
    fail('opsAddress', `must not share a port with the ADS address ${ads.raw}`, ops.raw);
  }

  const d = BRIDGE_CONFIG_DEFAULTS;
  const rawJitter = get('pollJitter');
  const pollJitter = rawJitter === undefined ? d.pollJitter : Number(rawJitter.trim());
  if (rawJitter !== undefined && (rawJitter.trim() === '' || !(pollJitter >= 0 && pollJitter < 1))) fail('pollJitter', 'must be a number from 0 up to (not including) 1', rawJitter);

  const pollIntervalMs = positiveInt('pollIntervalMs', get('pollIntervalMs'), d.pollIntervalMs);
  const backoffMaxMs = positiveInt('backoffMaxMs', get('backoffMaxMs'), d.backoffMaxMs);
  if (backoffMaxMs < pollIntervalMs) fail('backoffMaxMs', `must be at least the poll interval (${pollIntervalMs} ms)`, String(backoffMaxMs));
  const statusFlushMs = positiveInt('statusFlushMs', get('statusFlushMs'), d.statusFlushMs);
  if (statusFlushMs > MAX_STATUS_FLUSH_MS) fail('statusFlushMs', `must be at most ${MAX_STATUS_FLUSH_MS}: ACKs must reach the edge within 2 s`, String(statusFlushMs));

  const logLevel = get('logLevel') ?? d.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) fail('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`, logLevel);
  const bridgeId = (get('bridgeId') ?? (deps.hostname ?? hostname)()).trim();
  if (!bridgeId) fail('bridgeId', 'must not be empty');

  const tls = adsTlsSettings(get, deps);
  const config: BridgeConfig = {
    edgeUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    token: token!,
    adsAddress: ads.raw,
    opsAddress: ops.raw,
    pollIntervalMs,
    pollJitter,
    backoffMaxMs,
    requestTimeoutMs: positiveInt('requestTimeoutMs', get('requestTimeoutMs'), d.requestTimeoutMs),
    statusFlushMs,
    heartbeatMs: positiveInt('heartbeatMs', get('heartbeatMs'), d.heartbeatMs),
    drainTimeoutMs: positiveInt('drainTimeoutMs', get('drainTimeoutMs'), d.drainTimeoutMs),
    bridgeId,
    logLevel: logLevel as LogLevel,
    ...tls,
  };
  if (tokenFile) config.tokenFile = tokenFile;
  const stateFile = get('stateFile');
  if (stateFile) config.stateFile = stateFile;
  return config;
}

/**
 * The ADS port's security: TLS files (each readable now, so a missing mount fails at start, not at the first
 * handshake), the trust domain, and plaintext only when asked for. Neither TLS nor plaintext is a mistake.
 */
function adsTlsSettings(get: (key: Key) => string | undefined, deps: LoadBridgeConfigDeps): Pick<BridgeConfig, 'adsTlsCertFile' | 'adsTlsKeyFile' | 'adsClientCaFile' | 'trustDomain' | 'adsAllowPlaintext'> {
  const readable = (key: 'adsTlsCertFile' | 'adsTlsKeyFile' | 'adsClientCaFile') => {
    const path = get(key);
    if (path === undefined) return undefined;
    try {
      if (!(deps.readFile ?? ((p) => readFileSync(p, 'utf8')))(path).includes('-----BEGIN ')) fail(key, `${path} holds no PEM block`);
    } catch (error) {
      if (error instanceof BridgeConfigError) throw error;
      fail(key, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return path;
  };
  const certFile = readable('adsTlsCertFile');
  const keyFile = readable('adsTlsKeyFile');
  const caFile = readable('adsClientCaFile');
  if (Boolean(certFile) !== Boolean(keyFile)) fail(certFile ? 'adsTlsKeyFile' : 'adsTlsCertFile', 'TLS needs both the certificate and the key file');
  if (caFile && !certFile) fail('adsClientCaFile', 'client certificates need TLS: set --ads-tls-cert-file and --ads-tls-key-file too');
  const rawPlain = get('adsAllowPlaintext')?.trim().toLowerCase();
  if (rawPlain !== undefined && !['true', 'false', '1', '0'].includes(rawPlain)) fail('adsAllowPlaintext', 'must be true or false', rawPlain);
  const adsAllowPlaintext = rawPlain === 'true' || rawPlain === '1';
  if (!certFile && !adsAllowPlaintext) {
    throw new BridgeConfigError(
      'the ADS port needs TLS (--ads-tls-cert-file / XDSFLARE_ADS_TLS_CERT_FILE and --ads-tls-key-file / XDSFLARE_ADS_TLS_KEY_FILE, with --ads-client-ca-file / XDSFLARE_ADS_CLIENT_CA_FILE for client certificates), or plaintext allowed explicitly: --ads-allow-plaintext true / XDSFLARE_ADS_ALLOW_PLAINTEXT=true',
    );
  }
  const trustDomain = (get('trustDomain') ?? BRIDGE_CONFIG_DEFAULTS.trustDomain).trim();
  if (!/^[a-z0-9._-]{1,255}$/.test(trustDomain)) fail('trustDomain', "must be lowercase letters, digits, '.', '-' and '_' (a SPIFFE trust domain)", trustDomain);
  return { ...(certFile ? { adsTlsCertFile: certFile, adsTlsKeyFile: keyFile } : {}), ...(caFile ? { adsClientCaFile: caFile } : {}), trustDomain, adsAllowPlaintext };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRIDGE_CONFIG_DEFAULTS, BridgeConfigError, bridgeUsage, loadBridgeConfig, parseHostPort, wantsHelp } from './config';

const base = { XDSFLARE_EDGE_URL: 'https://xds.example.com', XDSFLARE_TOKEN: 'xf_secret', XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true' };

describe('loadBridgeConfig', () => {
  it('fills every default from the edge URL, the token and the plaintext setting alone', () => {
    expect(loadBridgeConfig([], base)).toEqual({
      edgeUrl: 'https://xds.example.com',
      token: 'xf_secret',
      adsAddress: '127.0.0.1:18000',
      opsAddress: '127.0.0.1:18001',
      pollIntervalMs: 1000,
      pollJitter: 0.2,
      backoffMaxMs: 30000,
      requestTimeoutMs: 5000,
      statusFlushMs: 500,
      heartbeatMs: 30000,
      drainTimeoutMs: 10000,
      bridgeId: hostname(),
      logLevel: 'info',
      trustDomain: 'cluster.local',
      adsAllowPlaintext: true,
    });
  });

  describe('the ADS port security', () => {
    const { XDSFLARE_ADS_ALLOW_PLAINTEXT: _plain, ...noPlain } = base;
    const pem = (path: string) => (path.endsWith('.pem') ? '-----BEGIN CERTIFICATE-----\n' : 'not pem');
    const tls = { ...noPlain, XDSFLARE_ADS_TLS_CERT_FILE: '/tls/tls.crt.pem', XDSFLARE_ADS_TLS_KEY_FILE: '/tls/tls.key.pem' };

    it('refuses to start without TLS unless plaintext is allowed explicitly, naming both ways', () => {
      expect(() => loadBridgeConfig([], noPlain)).toThrow(/the ADS port needs TLS \(--ads-tls-cert-file \/ XDSFLARE_ADS_TLS_CERT_FILE.*XDSFLARE_ADS_ALLOW_PLAINTEXT=true/);
      expect(() => loadBridgeConfig([], { ...noPlain, XDSFLARE_ADS_ALLOW_PLAINTEXT: 'false' })).toThrow(BridgeConfigError);
      expect(() => loadBridgeConfig([], { ...noPlain, XDSFLARE_ADS_ALLOW_PLAINTEXT: 'yes' })).toThrow(/--ads-allow-plaintext \/ XDSFLARE_ADS_ALLOW_PLAINTEXT: must be true or false, got 'yes'/);
    });

    it('takes TLS files with client certificates and a trust domain, each checked readable at start', () => {
      expect(loadBridgeConfig(['--trust-domain', 'prod.example'], { ...tls, XDSFLARE_ADS_CLIENT_CA_FILE: '/tls/ca.pem' }, { readFile: pem })).toMatchObject({
        adsTlsCertFile: '/tls/tls.crt.pem',
        adsTlsKeyFile: '/tls/tls.key.pem',
        adsClientCaFile: '/tls/ca.pem',
        trustDomain: 'prod.example',
        adsAllowPlaintext: false,
      });
      expect(() => loadBridgeConfig([], { ...tls, XDSFLARE_ADS_TLS_KEY_FILE: '/tls/key' }, { readFile: pem })).toThrow(/--ads-tls-key-file \/ XDSFLARE_ADS_TLS_KEY_FILE: \/tls\/key holds no PEM block/);
      expect(() => loadBridgeConfig([], tls, { readFile: () => { throw Object.assign(new Error('gone'), { code: 'ENOENT' }); } })).toThrow(/XDSFLARE_ADS_TLS_CERT_FILE: cannot read \/tls\/tls.crt.pem \(ENOENT\)/);
      expect(() => loadBridgeConfig([], { ...noPlain, XDSFLARE_ADS_TLS_CERT_FILE: '/tls/tls.crt.pem' }, { readFile: pem })).toThrow(/XDSFLARE_ADS_TLS_KEY_FILE: TLS needs both/);
      expect(() => loadBridgeConfig([], { ...base, XDSFLARE_ADS_CLIENT_CA_FILE: '/tls/ca.pem' }, { readFile: pem })).toThrow(/XDSFLARE_ADS_CLIENT_CA_FILE: client certificates need TLS/);
      expect(() => loadBridgeConfig(['--trust-domain', 'Bad/Domain'], base)).toThrow(/--trust-domain \/ XDSFLARE_TRUST_DOMAIN: must be lowercase/);
    });
  });

  it('reads every setting from XDSFLARE_* variables', () => {
    const config = loadBridgeConfig([], {
      ...base,
      XDSFLARE_ADS_ADDRESS: '0.0.0.0:19000',
      XDSFLARE_OPS_ADDRESS: '[::]:19001',
      XDSFLARE_POLL_INTERVAL_MS: '250',
      XDSFLARE_POLL_JITTER: '0',
      XDSFLARE_BACKOFF_MAX_MS: '5000',
      XDSFLARE_REQUEST_TIMEOUT_MS: '2000',
      XDSFLARE_STATUS_FLUSH_MS: '100',
      XDSFLARE_HEARTBEAT_MS: '10000',
      XDSFLARE_STATE_FILE: '/var/lib/xdsflare/snapshot.json',
      XDSFLARE_DRAIN_TIMEOUT_MS: '3000',
      XDSFLARE_BRIDGE_ID: 'bridge-a',
      XDSFLARE_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      adsAddress: '0.0.0.0:19000',
      opsAddress: '[::]:19001',
      pollIntervalMs: 250,
      pollJitter: 0,
      backoffMaxMs: 5000,
      requestTimeoutMs: 2000,
      statusFlushMs: 100,
      heartbeatMs: 10000,
      stateFile: '/var/lib/xdsflare/snapshot.json',
      drainTimeoutMs: 3000,
      bridgeId: 'bridge-a',
      logLevel: 'debug',
    });
  });

  it('lets flags override the environment, as --flag value or --flag=value', () => {
    const config = loadBridgeConfig(['--poll-interval-ms', '700', '--edge-url=http://127.0.0.1:8787/', '--log-level', 'warn'], {
      ...base,
      XDSFLARE_POLL_INTERVAL_MS: '100',
      XDSFLARE_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ pollIntervalMs: 700, edgeUrl: 'http://127.0.0.1:8787', logLevel: 'warn' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadBridgeConfig([], { ...base, XDSFLARE_POLL_INTERVAL_MS: '', XDSFLARE_STATE_FILE: '' })).toMatchObject({ pollIntervalMs: 1000 });
    expect(loadBridgeConfig([], { ...base, XDSFLARE_STATE_FILE: '' })).not.toHaveProperty('stateFile');
  });

  it('names the flag and the variable of a bad number', () => {
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_POLL_INTERVAL_MS: 'x' })).toThrow(
      new BridgeConfigError("--poll-interval-ms / XDSFLARE_POLL_INTERVAL_MS: must be a positive integer, got 'x'"),
    );
    for (const bad of ['0', '-5', '1.5', '1e3']) {
      expect(() => loadBridgeConfig(['--drain-timeout-ms', bad], base)).toThrow(/--drain-timeout-ms \/ XDSFLARE_DRAIN_TIMEOUT_MS: must be a positive integer/);
    }
  });

  it('refuses a jitter outside 0 ≤ x < 1', () => {
    for (const bad of ['1', '-0.1', 'lots', ' ']) {
      expect(() => loadBridgeConfig([], { ...base, XDSFLARE_POLL_JITTER: bad })).toThrow(/--poll-jitter \/ XDSFLARE_POLL_JITTER/);
    }
    expect(loadBridgeConfig(['--poll-jitter', '0.5'], base).pollJitter).toBe(0.5);
  });

  it('refuses a status flush slower than the 2 s ACK budget', () => {
    expect(() => loadBridgeConfig(['--status-flush-ms', '2500'], base)).toThrow(/XDSFLARE_STATUS_FLUSH_MS: must be at most 2000/);
    expect(loadBridgeConfig(['--status-flush-ms', '2000'], base).statusFlushMs).toBe(2000);
  });

  it('refuses a backoff ceiling below the poll interval', () => {
    expect(() => loadBridgeConfig(['--poll-interval-ms', '5000', '--backoff-max-ms', '1000'], base)).toThrow(/--backoff-max-ms \/ XDSFLARE_BACKOFF_MAX_MS/);
  });

  it('requires an http(s) edge URL without credentials', () => {
    expect(() => loadBridgeConfig([], { XDSFLARE_TOKEN: 't' })).toThrow(/--edge-url \/ XDSFLARE_EDGE_URL: is required/);
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_EDGE_URL: 'ftp://x' })).toThrow("--edge-url / XDSFLARE_EDGE_URL: must be an http(s) URL, got 'ftp://x'");
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_EDGE_URL: 'xds.example.com' })).toThrow(/must be an http\(s\) URL/);
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_EDGE_URL: 'https://u:p@xds.example.com' })).toThrow(/must not carry credentials/);
  });

  it('never echoes a credential-bearing URL in its error', () => {
    let message = '';
    try {
      loadBridgeConfig([], { ...base, XDSFLARE_EDGE_URL: 'https://u:hunter2@xds.example.com' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain('hunter2');
  });

  it('accepts host:port and bracketed IPv6 addresses, and refuses the rest', () => {
    expect(loadBridgeConfig(['--ads-address', '[::]:18000', '--ops-address', '[::1]:0'], base)).toMatchObject({ adsAddress: '[::]:18000', opsAddress: '[::1]:0' });
    for (const bad of ['18000', ':18000', 'localhost', '::1:18000', 'host:70000', 'host:port', '[::]']) {
      expect(() => loadBridgeConfig(['--ads-address', bad], base)).toThrow(`--ads-address / XDSFLARE_ADS_ADDRESS: must be host:port (IPv6 as [::]:18000), got '${bad}'`);
    }
  });

  it('refuses ADS and ops on the same port', () => {
    expect(() => loadBridgeConfig(['--ads-address', '0.0.0.0:18000', '--ops-address', '127.0.0.1:18000'], base)).toThrow(/--ops-address \/ XDSFLARE_OPS_ADDRESS: must not share a port/);
    expect(loadBridgeConfig(['--ads-address', '127.0.0.1:0', '--ops-address', '127.0.0.1:0'], base).opsAddress).toBe('127.0.0.1:0');
  });

  it('refuses an unknown log level, an unknown flag and a flag without a value', () => {
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_LOG_LEVEL: 'trace' })).toThrow("--log-level / XDSFLARE_LOG_LEVEL: must be one of debug, info, warn, error, got 'trace'");
    expect(() => loadBridgeConfig(['--pol-interval-ms', '5'], base)).toThrow("unknown argument '--pol-interval-ms' (see --help)");
    expect(() => loadBridgeConfig(['--state-file'], base)).toThrow('--state-file / XDSFLARE_STATE_FILE: needs a value');
  });
});

describe('the edge token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('is read from XDSFLARE_TOKEN_FILE without the trailing newline a Secret file often has', () => {
    const path = file('token', 'xf_from_file\n');
    expect(loadBridgeConfig([], { XDSFLARE_EDGE_URL: base.XDSFLARE_EDGE_URL, XDSFLARE_TOKEN_FILE: path, XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true' })).toMatchObject({ token: 'xf_from_file', tokenFile: path });
  });

  it('comes from --token-file over either variable', () => {
    const path = file('flag-token', 'xf_flag');
    expect(loadBridgeConfig(['--token-file', path], { ...base, XDSFLARE_TOKEN_FILE: '/nope' }).token).toBe('xf_flag');
  });

  it('is ambiguous when both XDSFLARE_TOKEN and XDSFLARE_TOKEN_FILE are set', () => {
    expect(() => loadBridgeConfig([], { ...base, XDSFLARE_TOKEN_FILE: file('t2', 'a') })).toThrow('XDSFLARE_TOKEN and XDSFLARE_TOKEN_FILE are both set: set one');
  });

  it('is required, and a missing or empty file says which', () => {
    expect(() => loadBridgeConfig([], { XDSFLARE_EDGE_URL: base.XDSFLARE_EDGE_URL })).toThrow(/XDSFLARE_TOKEN: a token is required/);
    expect(() => loadBridgeConfig(['--token-file', join(dir, 'missing')], { XDSFLARE_EDGE_URL: base.XDSFLARE_EDGE_URL })).toThrow(/--token-file \/ XDSFLARE_TOKEN_FILE: cannot read .*missing \(ENOENT\)/);
    expect(() => loadBridgeConfig(['--token-file', file('empty', '\n')], { XDSFLARE_EDGE_URL: base.XDSFLARE_EDGE_URL })).toThrow(/is empty/);
  });

  it('has no --token flag, so it never shows in the process list', () => {
    expect(() => loadBridgeConfig(['--token', 'xf_secret'], base)).toThrow(/unknown argument '--token'/);
  });

  it('can be read through an injected reader (manifest checks)', () => {
    const config = loadBridgeConfig([], { XDSFLARE_EDGE_URL: base.XDSFLARE_EDGE_URL, XDSFLARE_TOKEN_FILE: '/var/run/secrets/x/token', XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true' }, { readFile: () => 'xf_injected', hostname: () => 'pod-1' });
    expect(config).toMatchObject({ token: 'xf_injected', bridgeId: 'pod-1' });
  });
});

describe('help', () => {
  it('lists every flag with its variable and default', () => {
    const usage = bridgeUsage();
    for (const text of ['--edge-url', 'XDSFLARE_EDGE_URL', '--token-file', 'XDSFLARE_TOKEN_FILE', 'XDSFLARE_TOKEN ', '--poll-interval-ms', '(default 1000)', `(default ${BRIDGE_CONFIG_DEFAULTS.adsAddress})`]) {
      expect(usage).toContain(text);
    }
  });

  it('is asked for by --help or -h, which loading ignores', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--edge-url', 'x'])).toBe(false);
    expect(() => loadBridgeConfig(['--help'], base)).not.toThrow();
  });
});

describe('parseHostPort', () => {
  it('splits IPv4, names and bracketed IPv6', () => {
    expect(parseHostPort('0.0.0.0:18000')).toEqual({ host: '0.0.0.0', port: 18000 });
    expect(parseHostPort('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseHostPort('[::]:18000')).toEqual({ host: '::', port: 18000 });
  });
});

import { describe, expect, it } from 'vitest';
import { DomainError } from './domain/errors';
import type { Env } from './env';
import { settings, SettingsError } from './settings';

const envOf = (vars: Partial<Record<keyof Env, string | undefined>>) => ({ ...vars }) as unknown as Env;

describe('settings', () => {
  it('takes the defaults for unset and blank variables', () => {
    const defaults = {
      freshnessMs: 1000,
      statusFlushMs: 5000,
      staleMs: 60_000,
      forgetMs: 600_000,
      refreshDelay: '1s',
      rolloutTickMs: 1000,
      webhookRetryBaseMs: 1000,
      webhookMaxAttempts: 12,
      tokenRecheckMs: 1000,
      applyBatchObjects: 1000,
      webhookAllowPrivateTargets: false,
      allowAnonymousXds: false,
      adminToken: undefined,
      secretsKey: undefined,
      secretsKeyPrevious: undefined,
    };
    expect(settings(envOf({}))).toEqual(defaults);
    const blank = Object.fromEntries(['XDS_FRESHNESS_MS', 'XDS_STATUS_FLUSH_MS', 'STATUS_STALE_MS', 'XDS_REFRESH_DELAY', 'ROLLOUT_TICK_MS', 'WEBHOOK_RETRY_BASE_MS', 'WEBHOOK_MAX_ATTEMPTS', 'TOKEN_RECHECK_MS', 'APPLY_BATCH_OBJECTS', 'WEBHOOK_ALLOW_PRIVATE_TARGETS', 'ALLOW_ANONYMOUS_XDS', 'ADMIN_TOKEN', 'SECRETS_KEY', 'SECRETS_KEY_PREVIOUS'].map((name) => [name, name.endsWith('KEY') ? '  ' : '']));
    expect(settings(envOf(blank))).toEqual(defaults);
  });

  it('never forgets a proxy before it is stale', () => {
    expect(settings(envOf({ STATUS_STALE_MS: '120000', STATUS_FORGET_MS: '1000' })).forgetMs).toBe(120_000);
    expect(settings(envOf({ STATUS_FORGET_MS: '3600000' })).forgetMs).toBe(3_600_000);
  });

  it('reads valid values, refresh_delay as protobuf JSON', () => {
    const s = settings(
      envOf({
        XDS_FRESHNESS_MS: '0',
        XDS_STATUS_FLUSH_MS: '250',
        STATUS_STALE_MS: ' 600000 ',
        XDS_REFRESH_DELAY: '1m30s',
        ROLLOUT_TICK_MS: '3600000',
        WEBHOOK_RETRY_BASE_MS: '1.5',
        WEBHOOK_MAX_ATTEMPTS: '2',
        TOKEN_RECHECK_MS: '0',
        APPLY_BATCH_OBJECTS: '250',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        ALLOW_ANONYMOUS_XDS: 'true',
        ADMIN_TOKEN: 'admin',
        SECRETS_KEY: ' key= ',
        SECRETS_KEY_PREVIOUS: 'old= ',
      }),
    );
    expect(s).toEqual({
      freshnessMs: 0,
      statusFlushMs: 250,
      staleMs: 600_000,
      forgetMs: 600_000,
      refreshDelay: '90s',
      rolloutTickMs: 3_600_000,
      webhookRetryBaseMs: 1.5,
      webhookMaxAttempts: 2,
      tokenRecheckMs: 0,
      applyBatchObjects: 250,
      webhookAllowPrivateTargets: true,
      allowAnonymousXds: true,
      adminToken: 'admin',
      secretsKey: 'key=',
      secretsKeyPrevious: 'old=',
    });
    expect(settings(envOf({ ALLOW_ANONYMOUS_XDS: 'false', XDS_REFRESH_DELAY: '100ms' }))).toMatchObject({ allowAnonymousXds: false, refreshDelay: '0.100s' });
  });

  it('parses an env object once', () => {
    const env = envOf({ ROLLOUT_TICK_MS: '5' });
    expect(settings(env)).toBe(settings(env));
  });

  it.each([
    ['XDS_FRESHNESS_MS', 'soon', 'XDS_FRESHNESS_MS="soon" is not a number of milliseconds (0 or more)'],
    ['XDS_FRESHNESS_MS', '-1', 'XDS_FRESHNESS_MS="-1" is not a number of milliseconds (0 or more)'],
    ['XDS_STATUS_FLUSH_MS', '5s', 'XDS_STATUS_FLUSH_MS="5s" is not a number of milliseconds (0 or more)'],
    ['STATUS_STALE_MS', '0', 'STATUS_STALE_MS="0" is not a number of milliseconds greater than 0'],
    ['XDS_REFRESH_DELAY', 'abc', 'XDS_REFRESH_DELAY="abc" is not a duration such as "1s"'],
    ['XDS_REFRESH_DELAY', '1000', 'XDS_REFRESH_DELAY="1000" is not a duration such as "1s"'],
    ['ROLLOUT_TICK_MS', '1e3', 'ROLLOUT_TICK_MS="1e3" is not a number of milliseconds greater than 0'],
    ['WEBHOOK_RETRY_BASE_MS', 'fast', 'WEBHOOK_RETRY_BASE_MS="fast" is not a number of milliseconds greater than 0'],
    ['WEBHOOK_MAX_ATTEMPTS', '0', 'WEBHOOK_MAX_ATTEMPTS="0" is not a whole number, 1 or more'],
    ['WEBHOOK_MAX_ATTEMPTS', '2.5', 'WEBHOOK_MAX_ATTEMPTS="2.5" is not a whole number, 1 or more'],
    ['ALLOW_ANONYMOUS_XDS', 'yes', 'ALLOW_ANONYMOUS_XDS="yes" is not "true" or "false"'],
  ] as const)('refuses %s=%j, naming the variable and what it expects', (variable, value, message) => {
    let thrown: unknown;
    try {
      settings(envOf({ [variable]: value }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ reason: 'bad-setting', variable, value, message });
  });
});

import { describe, expect, it } from 'vitest';
import { queryRunnerSettings } from './query-runner';

// The runner itself runs against a real edge and a real Prometheus in test/e2e/rollout-analysis.test.ts (from: bridge).
describe('the bridge query runner settings', () => {
  it('is off without XDSFLARE_PROMETHEUS_URL, and refuses what is not an http(s) URL or a sane poll interval, naming the variable', () => {
    expect(queryRunnerSettings({})).toBeUndefined();
    expect(queryRunnerSettings({ XDSFLARE_PROMETHEUS_URL: 'http://prometheus.monitoring:9090/' })).toEqual({ prometheusUrl: 'http://prometheus.monitoring:9090', pollMs: 2000 });
    expect(queryRunnerSettings({ XDSFLARE_PROMETHEUS_URL: 'http://p:9090', XDSFLARE_ANALYSIS_POLL_MS: '500' })?.pollMs).toBe(500);
    expect(() => queryRunnerSettings({ XDSFLARE_PROMETHEUS_URL: 'prometheus:9090' })).toThrow(/XDSFLARE_PROMETHEUS_URL must be an http\(s\) URL/);
    expect(() => queryRunnerSettings({ XDSFLARE_PROMETHEUS_URL: 'http://p:9090', XDSFLARE_ANALYSIS_POLL_MS: '5' })).toThrow(/XDSFLARE_ANALYSIS_POLL_MS/);
  });
});

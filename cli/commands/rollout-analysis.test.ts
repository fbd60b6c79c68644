import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAnalysis, readAnalysisFile } from './rollout-analysis';
import { formatRollout, type Rollout } from './rollout-format';

describe('rollout analysis in the CLI', () => {
  it('shows each measurement, the hold and the gates', () => {
    const lines = formatAnalysis({
      hold: { by: 'gate', message: 'the rollout gate answered HTTP 500' },
      analysis: {
        provider: { url: 'http://prom:9090', auth: 'bearer' },
        measurements: [
          { metric: 'success-rate', step: 0, query: 'q1', value: 99.5, at: '2026-01-01T00:00:00.000Z', verdict: 'passed' },
          { metric: 'latency', step: null, query: 'q2', value: null, at: '2026-01-01T00:00:01.000Z', verdict: 'inconclusive', message: 'no data' },
        ],
      },
      gateCalls: [{ type: 'rollout', step: 1, verdict: 'held', status: 500, webhook: 'gate', message: 'HTTP 500: no' }],
    });
    expect(lines).toEqual([
      'held by gate: the rollout gate answered HTTP 500',
      'analysis (http://prom:9090): 2 measurements',
      '  2026-01-01T00:00:00.000Z  step 1  success-rate = 99.500  passed',
      '  2026-01-01T00:00:01.000Z  background  latency = -  inconclusive: no data',
      'gate rollout (webhook gate) before step 2: held (HTTP 500): HTTP 500: no',
    ]);
  });

  it('reads --analysis files, bare or under `analysis`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdsflare-analysis-'));
    writeFileSync(join(dir, 'a.yaml'), 'provider: {url: http://p}\nmetrics: [{name: s, template: envoy-success-rate, thresholdRange: {min: 99}}]\n');
    writeFileSync(join(dir, 'b.yaml'), 'analysis: {provider: {url: http://p}}\n');
    expect(await readAnalysisFile(dir, 'a.yaml')).toMatchObject({ provider: { url: 'http://p' }, metrics: [{ name: 's' }] });
    expect(await readAnalysisFile(dir, 'b.yaml')).toEqual({ provider: { url: 'http://p' } });
  });

  it('rollout status shows them under the steps', () => {
    const rollout = { id: 7, state: 'paused', virtualService: { namespace: 'd', name: 'r' }, stable: { host: 'r' }, candidate: { host: 'r', subset: 'v2' }, steps: [10, 100], currentStep: 0, weight: 10, hold: { by: 'analysis', message: 'no data yet' } } as unknown as Rollout;
    expect(formatRollout(rollout).at(-1)).toBe('  held by analysis: no data yet');
  });
});

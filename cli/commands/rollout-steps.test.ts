import { describe, expect, it } from 'vitest';
import { formatRollout, type Rollout } from './rollout-format';

describe('rollout step kinds in the CLI', () => {
  const base = { id: 4, state: 'progressing', virtualService: { namespace: 'd', name: 'r' }, stable: { host: 'r', subset: 'v1' }, candidate: { host: 'r', subset: 'v2' }, pauseSeconds: 0, timeoutSeconds: 60 };

  it('rollout status says what mirror and A/B steps do, not just their 0% weight', () => {
    const r = {
      ...base,
      steps: [0, 0, 50, 100],
      stepKinds: [
        { kind: 'mirror', percentage: 20 },
        { kind: 'match', match: [{ headers: { 'x-canary': { exact: 'yes' } } }, { cookie: { name: 'canary', value: 'always' } }] },
        { kind: 'weight', weight: 50 },
        { kind: 'weight', weight: 100 },
      ],
      currentStep: 1,
      weight: 0,
      history: [
        { step: 0, weight: 0, revision: 7, outcome: 'converged' },
        { step: 1, weight: 0, revision: 8, outcome: 'pending' },
      ],
    } as unknown as Rollout;
    const lines = formatRollout(r);
    expect(lines).toContain('  steps: mirror 20%, A/B x-canary exact yes or cookie canary=always, 50%, 100%  pause 0s  timeout 60s');
    expect(lines).toContain('  step 1: mirror 20% revision 7 converged');
    expect(lines).toContain('  step 2: A/B x-canary exact yes or cookie canary=always revision 8 pending');
  });

  it('shows blue-green and its rollback window; weight-only rollouts read as before', () => {
    const bg = { ...base, steps: [100], stepKinds: [{ kind: 'weight', weight: 100 }], blueGreen: { rollbackWindowSeconds: 300 }, currentStep: 0, weight: 100, history: [{ step: 0, weight: 100, revision: 9, outcome: 'converged', windowEndsAt: '2026-12-07T18:00:00.000Z' }] } as unknown as Rollout;
    const lines = formatRollout(bg);
    expect(lines).toContain('  steps: 100%  (blue-green, rollback window 300s)  pause 0s  timeout 60s');
    expect(lines).toContain('  step 1: 100% revision 9 converged, rollback window until 2026-12-07T18:00:00.000Z');
    const plain = formatRollout({ ...base, steps: [10, 100], currentStep: 0, weight: 10, history: [{ step: 0, weight: 10, revision: 3, outcome: 'pending' }] } as unknown as Rollout);
    expect(plain).toContain('  steps: 10%, 100%  pause 0s  timeout 60s');
    expect(plain).toContain('  step 1: 10% revision 3 pending');
  });
});

import { describe, expect, it } from 'vitest';
import { SnapshotStore } from './store';

describe('SnapshotStore', () => {
  it('takes a change listener per stream without warning of a leak', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = new SnapshotStore();
      for (let i = 0; i < 1000; i++) store.on('change', () => {});
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import { checkSnapshotsAnswer } from './answer';

const view = (types: Record<string, unknown> = Object.fromEntries(Object.values(RESOURCE_TYPES).map((url) => [url, { version: 'v', resources: [] }]))) => ({ version: 'v1', types });

describe('checkSnapshotsAnswer', () => {
  it('accepts an answer without labelKeys, as edges before them sent', () => {
    const checked = checkSnapshotsAnswer({ revision: 3, views: ['envoy|mesh'], snapshots: { 'envoy|mesh': view() } }, 1);
    expect(checked).toEqual({ ok: true, answer: { revision: 3, views: ['envoy|mesh'], snapshots: { 'envoy|mesh': view() } } });
  });

  it('refuses an answer that breaks the schema, naming where', () => {
    const bad = view();
    bad.types[RESOURCE_TYPES.clusters] = { version: 'v', resources: ['not an object'] };
    expect(checkSnapshotsAnswer({ revision: 3, views: ['envoy|mesh'], labelKeys: [], snapshots: { 'envoy|mesh': bad } }, 1)).toMatchObject({
      ok: false,
      error: expect.stringContaining(`at snapshots["envoy|mesh"].types["${RESOURCE_TYPES.clusters}"].resources[0]`),
    });
    expect(checkSnapshotsAnswer([], 0)).toMatchObject({ ok: false });
  });

  it('refuses a negative revision, a view key list of the wrong length, and a view without a type the bridge delivers', () => {
    expect(checkSnapshotsAnswer({ revision: -1, views: [], snapshots: {} }, 0)).toEqual({ ok: false, error: 'revision is negative' });
    expect(checkSnapshotsAnswer({ revision: 1, views: [], snapshots: {} }, 2)).toEqual({ ok: false, error: 'views is not a list of 2 view keys' });
    expect(checkSnapshotsAnswer({ revision: 1, views: ['envoy|mesh'], snapshots: { 'envoy|mesh': view({}) } }, 1)).toEqual({ ok: false, error: 'snapshots["envoy|mesh"] has no clusters' });
  });
});

import { describe, expect, it } from 'vitest';
import { kindOfPlural, KINDS, PLURALS, pluralOfKind } from './kinds';

describe('kinds', () => {
  it('maps URL plurals to kinds and back', () => {
    expect(kindOfPlural('virtualservices')).toBe('VirtualService');
    expect(kindOfPlural('serviceentries')).toBe('ServiceEntry');
    expect(kindOfPlural('VirtualServices')).toBeUndefined();
    expect(kindOfPlural('toString')).toBeUndefined();
    for (const kind of KINDS) expect(PLURALS[pluralOfKind(kind)]).toBe(kind);
  });
});

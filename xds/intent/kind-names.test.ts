import { describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, PLURALS } from './kind-names';

describe('kind names', () => {
  it('names every intent kind and Secret once, with distinct plurals and short names', () => {
    expect(KIND_NAMES.map((n) => n.kind).sort()).toEqual([...KINDS, 'Secret'].sort());
    expect(new Set(KIND_NAMES.map((n) => n.plural)).size).toBe(KIND_NAMES.length);
    expect(new Set(KIND_NAMES.map((n) => n.short)).size).toBe(KIND_NAMES.length);
  });

  it('routes only the intent kinds by plural, in the order the API lists them', () => {
    expect(Object.keys(PLURALS)).toEqual(['gateways', 'virtualservices', 'destinationrules', 'serviceentries', 'envoyfilters', 'sidecars']);
  });
});

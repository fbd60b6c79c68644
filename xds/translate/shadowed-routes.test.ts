import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest, HTTPRoute } from '../intent/virtual-service';
import { Diagnostics } from './diagnostics';
import { checkShadowedRoutes, matchCovers } from './shadowed-routes';

const rule = (...match: HTTPMatchRequest[]): HTTPRoute => ({ ...(match.length ? { match } : {}), route: [{ destination: { host: 'a' } }] });

function warningsFor(http: HTTPRoute[]) {
  const diag = new Diagnostics();
  checkShadowedRoutes(http, 'VirtualService/ns/vs', diag);
  return diag.warnings.map((w) => `${w.path}: ${w.message}`);
}

describe('shadowed routes', () => {
  it('warns about every rule after one without match, naming the earlier rule', () => {
    expect(warningsFor([rule(), rule({ uri: { prefix: '/api' } })])).toEqual([
      'spec.http[1].match[0]: never matches: spec.http[0] has no match, so it catches every request first',
    ]);
  });

  it('does not call a match shadowed by one that applies at other gateways only', () => {
    expect(warningsFor([rule({ gateways: ['mesh'], port: 80 }), rule({ gateways: ['default/egress'], port: 80 })])).toEqual([]);
    // At every gateway the later match names, the earlier one applies: shadowed.
    expect(warningsFor([rule({ gateways: ['mesh', 'default/egress'] }), rule({ gateways: ['default/egress'], uri: { prefix: '/a' } })])).toEqual([
      'spec.http[1].match[0]: never matches: spec.http[0] match[0] comes first and catches every request this one would',
    ]);
    expect(warningsFor([rule(), rule({ gateways: ['mesh'] })])).toHaveLength(1);
  });

  it('treats prefix "/" with no other condition as catching everything', () => {
    expect(warningsFor([{ ...rule({ uri: { prefix: '/' } }), name: 'all' }, rule()])).toEqual([
      'spec.http[1]: never matches: spec.http[0] ("all") match[0] comes first and catches every request this one would',
    ]);
  });

  it('warns when an earlier prefix covers a later exact or prefix with the same other conditions', () => {
    const headers = { 'x-user': { exact: 'a' } };
    expect(warningsFor([rule({ uri: { prefix: '/api/' }, headers }), rule({ uri: { exact: '/api/items' }, headers }, { uri: { prefix: '/other' }, headers })])).toEqual([
      'spec.http[1].match[0]: never matches: spec.http[0] match[0] comes first and catches every request this one would',
    ]);
  });

  it('stays quiet when the later match has a condition the earlier one lacks the other way round', () => {
    expect(matchCovers({ uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'a' } } }, { uri: { prefix: '/api/v1' } })).toBe(false);
    expect(matchCovers({ uri: { prefix: '/api' } }, { uri: { prefix: '/api/v1' }, headers: { 'x-user': { exact: 'a' } } })).toBe(true);
  });

  it('is conservative with regexes, case-insensitivity, ports and source labels', () => {
    expect(matchCovers({ uri: { regex: '/api/.*' } }, { uri: { exact: '/api/x' } })).toBe(false);
    expect(matchCovers({ uri: { prefix: '/api' } }, { uri: { prefix: '/API' }, ignoreUriCase: true })).toBe(false);
    expect(matchCovers({ uri: { prefix: '/API' }, ignoreUriCase: true }, { uri: { prefix: '/api/v1' } })).toBe(true);
    expect(matchCovers({ port: 80 }, { port: 81 })).toBe(false);
    expect(matchCovers({ sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'a' } })).toBe(false);
  });

  it('reads {} as header presence: any value of that header is covered, absence is not', () => {
    expect(matchCovers({ headers: { 'x-a': {} } }, { headers: { 'x-a': { exact: 'v' } } })).toBe(true);
    expect(matchCovers({ headers: { 'x-a': { exact: 'v' } } }, { headers: { 'x-a': {} } })).toBe(false);
    expect(matchCovers({ withoutHeaders: { 'x-a': { exact: 'v' } } }, { withoutHeaders: { 'x-a': {} } })).toBe(true);
    expect(matchCovers({ withoutHeaders: { 'x-a': {} } }, {})).toBe(false);
  });
});

import { expect, it } from 'vitest';
import { withQualifiedHosts } from '../intent/short-names';
import type { IntentObject } from '../intent/types';
import { Diagnostics } from './diagnostics';
import { checkMatchGateways, matchAppliesAt } from './match-gateways';

it('a match naming gateways applies only at those; one naming none, everywhere', () => {
  expect(matchAppliesAt({ gateways: ['mesh'] }, 'mesh')).toBe(true);
  expect(matchAppliesAt({ gateways: ['mesh'] }, 'default/egress')).toBe(false);
  expect(matchAppliesAt({}, 'default/egress')).toBe(true);
  expect(matchAppliesAt({ gateways: ['mesh'] }, undefined)).toBe(true);
});

it('resolves match gateway names against the namespace and warns about a gateway the VirtualService is not bound to', () => {
  const vs = withQualifiedHosts({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'cnn', namespace: 'default' },
    spec: { hosts: ['edition.cnn.com'], gateways: ['egress', 'mesh'], http: [{ match: [{ gateways: ['egress'] }, { gateways: ['other'] }], route: [{ destination: { host: 'edition.cnn.com' } }] }] },
  } as IntentObject);
  const spec = vs.spec as any;
  expect(spec.gateways).toEqual(['default/egress', 'mesh']);
  expect(spec.http[0].match.map((m: any) => m.gateways)).toEqual([['default/egress'], ['default/other']]);
  const diag = new Diagnostics();
  checkMatchGateways(spec, 'VirtualService/default/cnn', diag);
  expect(diag.warnings).toEqual([
    { source: 'VirtualService/default/cnn', path: 'spec.http[0].match[1].gateways[0]', message: 'the VirtualService is not bound to gateway default/other (its gateways: default/egress, mesh): this gateway name matches nowhere' },
  ]);
});

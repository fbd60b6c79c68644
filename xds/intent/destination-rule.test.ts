import { describe, expect, it } from 'vitest';
import { errorsOf, validateYaml } from './test-utils';

const REVIEWS = `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: RANDOM
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
  - name: v3
    labels:
      version: v3
`;

describe('DestinationRule', () => {
  it('accepts the bookinfo reviews subsets with load-balancer policies', () => {
    const result = validateYaml(REVIEWS);
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.object.spec).toEqual({
      host: 'reviews',
      trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
        { name: 'v3', labels: { version: 'v3' } },
      ],
    });
  });

  it('refuses duplicate and malformed subset names and bad labels', () => {
    const result = validateYaml(REVIEWS.replace('name: v3', 'name: v1').replace('name: v2', 'name: V2').replace('version: v3', 'version: "not ok!"'));
    expect(errorsOf(result)).toEqual([
      { path: 'spec.subsets[1].name', message: 'must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit' },
      { path: 'spec.subsets[2].labels.version', message: 'invalid label value "not ok!": at most 63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit' },
      { path: 'spec.subsets[2].name', message: 'duplicate subset name "v1"' },
    ]);
  });

  it('refuses PASSTHROUGH and unknown policies clearly', () => {
    expect(errorsOf(validateYaml(REVIEWS.replace('simple: RANDOM', 'simple: PASSTHROUGH')))).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.simple', message: 'PASSTHROUGH is not supported: this control plane always load-balances over known endpoints' },
    ]);
    expect(errorsOf(validateYaml(REVIEWS.replace('simple: ROUND_ROBIN', 'simple: FASTEST')))).toEqual([
      { path: 'spec.subsets[1].trafficPolicy.loadBalancer.simple', message: 'expected ROUND_ROBIN, LEAST_REQUEST or RANDOM, got "FASTEST"' },
    ]);
  });

  it('names Istio traffic policies that are not supported yet', () => {
    const yaml = REVIEWS.replace('      simple: RANDOM', '      consistentHash:\n        httpHeaderName: x-user\n    outlierDetection:\n      consecutive5xxErrors: 7');
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash', message: '"consistentHash" is an Istio field this control plane does not support yet' },
      { path: 'spec.trafficPolicy.outlierDetection', message: '"outlierDetection" is an Istio field this control plane does not support yet' },
    ]);
  });
});

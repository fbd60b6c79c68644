import { describe, expect, it } from 'vitest';
import { edited, errorsOf, validateYaml } from './test-utils';
import { validateIntent } from './validate';
import { parseObjectBody } from './manifest';

// Bookinfo's reviews canary: 80% to v1, 20% to v2.
const REVIEWS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 80
    - destination:
        host: reviews
        subset: v2
      weight: 20
    timeout: 10s
    retries:
      attempts: 3
      perTryTimeout: 2s
      retryOn: gateway-error,connect-failure,refused-stream,503
`;

const reviews = (() => {
  const body = parseObjectBody(REVIEWS, 'application/yaml');
  if (!body.ok) throw new Error('bad fixture');
  return body.object as { spec: { http: Array<Record<string, any>> } };
})();

const check = (edit: (vs: typeof reviews) => void) => errorsOf(validateIntent(edited(reviews, edit)));

describe('VirtualService', () => {
  it('accepts the bookinfo reviews canary with 80/20 weights and no warnings', () => {
    const result = validateYaml(REVIEWS);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      object: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'reviews', namespace: 'default' },
        spec: reviews.spec,
      },
    });
  });

  it('does not invent the default gateways', () => {
    const result = validateYaml(REVIEWS);
    expect(result.ok && result.object.kind === 'VirtualService' && 'gateways' in result.object.spec).toBe(false);
  });

  it('warns, but accepts, weights that do not sum to 100', () => {
    const result = validateIntent(edited(reviews, (vs) => (vs.spec.http[1]!.route[1].weight = 10)));
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings).toEqual([{ path: 'spec.http[1].route', message: 'weights sum to 90; each destination gets weight/sum' }]);
  });

  it('refuses a negative weight', () => {
    expect(check((vs) => (vs.spec.http[1]!.route[0].weight = -5))).toEqual([
      { path: 'spec.http[1].route[0].weight', message: 'must not be negative' },
    ]);
  });

  it('refuses weights that are all zero', () => {
    expect(check((vs) => {
      vs.spec.http[1]!.route[0].weight = 0;
      vs.spec.http[1]!.route[1].weight = 0;
    })).toEqual([
      { path: 'spec.http[1].route', message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' },
    ]);
  });

  it('refuses a single destination with an explicit weight of 0', () => {
    expect(check((vs) => (vs.spec.http[0]!.route[0].weight = 0))).toEqual([
      { path: 'spec.http[0].route[0].weight', message: 'the only destination has weight 0 and would get no traffic; remove the weight or make it positive' },
    ]);
  });

  it('refuses a fractional weight, saying what it expected and got', () => {
    expect(check((vs) => (vs.spec.http[1]!.route[0].weight = 79.5))).toEqual([
      { path: 'spec.http[1].route[0].weight', message: 'expected integer, got number 79.5' },
    ]);
  });

  it('refuses a weight given as a string', () => {
    expect(check((vs) => (vs.spec.http[1]!.route[0].weight = '80'))).toEqual([
      { path: 'spec.http[1].route[0].weight', message: 'expected integer, got string "80"' },
    ]);
  });

  it('refuses a StringMatch with two of exact, prefix and regex', () => {
    expect(check((vs) => (vs.spec.http[0]!.match[0].headers['end-user'] = { exact: 'jason', prefix: 'ja' }))).toEqual([
      { path: 'spec.http[0].match[0].headers["end-user"]', message: 'exactly one of exact, prefix or regex is allowed; got exact and prefix' },
    ]);
  });

  it('refuses an empty StringMatch', () => {
    expect(check((vs) => (vs.spec.http[0]!.match[0].uri = {}))).toEqual([
      { path: 'spec.http[0].match[0].uri', message: 'exactly one of exact, prefix or regex is required' },
    ]);
  });

  it('refuses a regex RE2 cannot run', () => {
    expect(check((vs) => (vs.spec.http[0]!.match[0].uri = { regex: '/api/(?!internal)' }))).toEqual([
      { path: 'spec.http[0].match[0].uri.regex', message: 'lookahead and lookbehind are not supported by RE2' },
    ]);
    expect(check((vs) => (vs.spec.http[0]!.match[0].uri = { regex: '/api/(' }))).toEqual([
      { path: 'spec.http[0].match[0].uri.regex', message: expect.stringMatching(/^invalid regular expression: /) },
    ]);
  });

  it('accepts uri prefix, method and regex matches', () => {
    const result = validateIntent(edited(reviews, (vs) => {
      vs.spec.http[0]!.match = [{ name: 'api', uri: { prefix: '/api/' }, method: { exact: 'GET' } }, { uri: { regex: '^/v[0-9]+/.*' } }];
    }));
    expect(errorsOf(result)).toEqual([]);
  });

  it.each([['5'], ['abc'], ['-1s'], ['1d'], ['']])('refuses the duration %j', (timeout) => {
    expect(check((vs) => (vs.spec.http[1]!.timeout = timeout))).toEqual([
      { path: 'spec.http[1].timeout', message: 'must be a duration such as "5s", "0.5s", "100ms", "1m" or "1h"' },
    ]);
  });

  it.each([['0.5s'], ['100ms'], ['1m'], ['1h'], ['1m30s'], ['0s']])('accepts the duration %j', (timeout) => {
    expect(check((vs) => (vs.spec.http[1]!.timeout = timeout))).toEqual([]);
  });

  it('refuses a bad retry condition and a bad per-try timeout', () => {
    expect(check((vs) => {
      vs.spec.http[1]!.retries.retryOn = '5xx,sometimes';
      vs.spec.http[1]!.retries.perTryTimeout = '2 s';
    })).toEqual([
      { path: 'spec.http[1].retries.perTryTimeout', message: 'must be a duration such as "5s", "0.5s", "100ms", "1m" or "1h"' },
      { path: 'spec.http[1].retries.retryOn', message: 'unknown retry condition "sometimes"; expected e.g. "5xx,connect-failure,reset" or HTTP status codes' },
    ]);
  });

  it('names Istio fields that are not supported yet', () => {
    expect(check((vs) => {
      vs.spec.http[1]!.fault = { delay: { fixedDelay: '5s', percentage: { value: 10 } } };
      vs.spec.http[1]!.mirror = { host: 'reviews' };
    })).toEqual([
      { path: 'spec.http[1].fault', message: '"fault" is an Istio field this control plane does not support yet' },
      { path: 'spec.http[1].mirror', message: '"mirror" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('explains that a redirect-only route is not supported yet', () => {
    expect(check((vs) => {
      delete vs.spec.http[0]!.route;
      vs.spec.http[0]!.redirect = { uri: '/v1/reviews' };
    })).toEqual([
      { path: 'spec.http[0].route', message: 'required: at least one destination (redirect and directResponse are not supported yet)' },
      { path: 'spec.http[0].redirect', message: '"redirect" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('refuses unknown fields, suggesting a near miss', () => {
    expect(check((vs) => {
      vs.spec.http[1]!.route[0].wieght = 80;
      vs.spec.http[1]!.colour = 'blue';
    })).toEqual([
      { path: 'spec.http[1].route[0].wieght', message: 'unknown field "wieght" (did you mean "weight"?)' },
      { path: 'spec.http[1].colour', message: 'unknown field "colour"' },
    ]);
  });

  it('refuses tcp routes as not supported yet and requires http', () => {
    expect(check((vs) => {
      (vs.spec as Record<string, unknown>).tcp = [{ route: [{ destination: { host: 'reviews' } }] }];
      delete (vs.spec as Record<string, unknown>).http;
    })).toEqual([
      { path: 'spec.http', message: 'required: at least one http route (tcp and tls routes are not supported yet)' },
      { path: 'spec.tcp', message: '"tcp" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('refuses an empty route and bad hosts, gateways and ports', () => {
    expect(check((vs) => {
      (vs.spec as Record<string, unknown>).hosts = ['reviews', 'bad host'];
      (vs.spec as Record<string, unknown>).gateways = ['mesh', 'istio-system/bookinfo-gateway', 'a/b/c'];
      vs.spec.http[0]!.route = [];
      vs.spec.http[1]!.route[0].destination.port = { number: 70000 };
    })).toEqual([
      { path: 'spec.hosts[1]', message: 'must be a DNS name, "*.suffix" or "*"' },
      { path: 'spec.gateways[2]', message: 'must be "mesh", a gateway name or "namespace/name"' },
      { path: 'spec.http[0].route', message: 'at least one destination is required' },
      { path: 'spec.http[1].route[0].destination.port.number', message: 'must be at most 65535' },
    ]);
  });
});

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
      { path: 'spec.http[0].match[0].uri.regex', message: 'not an RE2 regular expression: invalid or unsupported Perl syntax: `(?!`' },
    ]);
    expect(check((vs) => (vs.spec.http[0]!.match[0].uri = { regex: '/api/(' }))).toEqual([
      { path: 'spec.http[0].match[0].uri.regex', message: 'not an RE2 regular expression: missing closing ): `/api/(`' },
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
      vs.spec.http[1]!.delegate = { name: 'reviews-v2' };
      vs.spec.http[0]!.match[0].sourceNamespace = 'shop';
    })).toEqual([
      { path: 'spec.http[0].match[0].sourceNamespace', message: '"sourceNamespace" is an Istio field this control plane does not support yet' },
      { path: 'spec.http[1].delegate', message: '"delegate" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('accepts a redirect or a direct response in place of destinations', () => {
    expect(check((vs) => {
      delete vs.spec.http[0]!.route;
      vs.spec.http[0]!.redirect = { uri: '/v1/reviews', redirectCode: 302 };
      vs.spec.http[1] = { directResponse: { status: 503, body: { string: 'maintenance' } } };
    })).toEqual([]);
  });

  it('requires exactly one of route, redirect and directResponse', () => {
    expect(check((vs) => delete vs.spec.http[0]!.route)).toEqual([
      { path: 'spec.http[0].route', message: 'required: at least one destination, unless the rule has a redirect or directResponse' },
    ]);
    expect(check((vs) => {
      vs.spec.http[0]!.redirect = { uri: '/v1' };
      vs.spec.http[0]!.directResponse = { status: 404 };
    })).toEqual([
      { path: 'spec.http[0].redirect', message: 'route and redirect cannot both be set: a rule either routes, redirects or answers directly' },
      { path: 'spec.http[0].directResponse', message: 'route and directResponse cannot both be set: a rule either routes, redirects or answers directly' },
    ]);
  });

  it('refuses forwarding-only fields beside a redirect or direct response', () => {
    expect(check((vs) => {
      delete vs.spec.http[1]!.route;
      vs.spec.http[1]!.directResponse = { status: 200 };
      vs.spec.http[1]!.fault = { abort: { httpStatus: 500, percentage: { value: 1 } } };
    })).toEqual([
      { path: 'spec.http[1].fault', message: 'fault applies to forwarded requests; it cannot be combined with directResponse' },
      { path: 'spec.http[1].timeout', message: 'timeout applies to forwarded requests; it cannot be combined with directResponse' },
      { path: 'spec.http[1].retries', message: 'retries applies to forwarded requests; it cannot be combined with directResponse' },
    ]);
  });

  it('refuses bad redirects and direct responses, naming the field', () => {
    expect(check((vs) => {
      delete vs.spec.http[0]!.route;
      vs.spec.http[0]!.redirect = { redirectCode: 200 };
      delete vs.spec.http[1]!.route;
      delete vs.spec.http[1]!.timeout;
      delete vs.spec.http[1]!.retries;
      vs.spec.http[1]!.directResponse = { status: 700, body: { string: 'x'.repeat(5000) } };
    })).toEqual([
      { path: 'spec.http[0].redirect.redirectCode', message: 'must be 301, 302, 303, 307 or 308' },
      { path: 'spec.http[0].redirect', message: 'at least one of uri, authority, port or scheme is required' },
      { path: 'spec.http[1].directResponse.status', message: 'must be an HTTP status from 200 to 599' },
      { path: 'spec.http[1].directResponse.body', message: "the body is 5000 bytes; at most 4096 (Envoy's limit for direct responses)" },
    ]);
  });

  it("accepts a delay's deprecated integer percent as Istio does (0-100), naming it when out of range", () => {
    expect(check((vs) => {
      vs.spec.http[0]!.fault = { delay: { fixedDelay: '2s', percent: 100 } };
      vs.spec.http[1]!.fault = { delay: { fixedDelay: '2s', percent: 0, percentage: { value: 5 } } };
    })).toEqual([]);
    expect(check((vs) => {
      vs.spec.http[0]!.fault = { delay: { fixedDelay: '2s', percent: 150 } };
      vs.spec.http[1]!.fault = { delay: { fixedDelay: '2s', percent: 12.5 } };
    })).toEqual([
      { path: 'spec.http[0].fault.delay.percent', message: 'must be from 0 to 100' },
      { path: 'spec.http[1].fault.delay.percent', message: 'must be a whole number of percent from 0 to 100' },
    ]);
  });

  it('refuses bad fault injection, naming the exact field', () => {
    expect(check((vs) => {
      vs.spec.http[0]!.fault = { delay: { fixedDelay: '0s', percentage: { value: 10 } } };
      vs.spec.http[1]!.fault = { abort: { grpcStatus: '14', percentage: { value: 150 } } };
    })).toEqual([
      { path: 'spec.http[0].fault.delay.fixedDelay', message: 'must be at least 1ms' },
      { path: 'spec.http[1].fault.abort.grpcStatus', message: 'use the status name, e.g. "UNAVAILABLE", not 14' },
      { path: 'spec.http[1].fault.abort.percentage.value', message: 'must be between 0 and 100' },
    ]);
    expect(check((vs) => {
      vs.spec.http[0]!.fault = {};
      vs.spec.http[1]!.fault = { abort: { httpStatus: 99, grpcStatus: 'NOPE' } };
    })).toEqual([
      { path: 'spec.http[0].fault', message: 'at least one of delay or abort is required' },
      { path: 'spec.http[1].fault.abort.httpStatus', message: 'must be an HTTP status from 200 to 599' },
      { path: 'spec.http[1].fault.abort.grpcStatus', message: expect.stringMatching(/^unknown gRPC status "NOPE"; expected one of CANCELLED, /) },
      { path: 'spec.http[1].fault.abort', message: 'httpStatus and grpcStatus cannot both be set' },
    ]);
  });

  it('refuses bad rewrites, mirrors and header operations', () => {
    expect(check((vs) => {
      vs.spec.http[0]!.rewrite = { uri: '/v2', uriRegexRewrite: { match: '^/(.*)', rewrite: '/\\1' } };
      vs.spec.http[0]!.mirrorPercentage = { value: 10 };
      vs.spec.http[1]!.headers = { request: { set: { host: 'x', ':path': '/' }, remove: ['x-ok'] }, response: { add: { 'x-bad': 'a\nb' } } };
    })).toEqual([
      { path: 'spec.http[0].rewrite.uriRegexRewrite', message: 'uri and uriRegexRewrite cannot both be set' },
      { path: 'spec.http[0].mirrorPercentage', message: 'mirrorPercentage needs mirror (with mirrors, give each its percentage)' },
      { path: 'spec.http[1].headers.request.set.host', message: 'invalid key "host": the host header cannot be changed here; use rewrite.authority' },
      { path: 'spec.http[1].headers.request.set[":path"]', message: 'invalid key ":path": must be an HTTP header name (pseudo-headers such as ":path" cannot be changed)' },
      { path: 'spec.http[1].headers.response.add["x-bad"]', message: 'must not contain CR, LF or NUL' },
    ]);
    expect(check((vs) => {
      vs.spec.http[1]!.mirror = { host: 'reviews' };
      vs.spec.http[1]!.mirrors = [{ destination: { host: 'reviews' }, percentage: { value: 5 } }];
    })).toEqual([{ path: 'spec.http[1].mirrors', message: 'mirror and mirrors cannot both be set; use mirrors' }]);
  });

  it('accepts header presence and absence matches, query parameters, port, ignoreUriCase and a CORS policy', () => {
    expect(check((vs) => {
      vs.spec.http[0]!.match[0] = {
        headers: { 'x-present': {} },
        withoutHeaders: { 'x-absent': {} },
        queryParams: { q: { exact: 'a' }, debug: {} },
        port: 9080,
        uri: { prefix: '/API' },
        ignoreUriCase: true,
        sourceLabels: { app: 'productpage' },
      };
      vs.spec.http[1]!.corsPolicy = { allowOrigins: [{ exact: 'https://a.example' }], allowMethods: ['GET'], maxAge: '1h', allowCredentials: false, unmatchedPreflights: 'IGNORE' };
    })).toEqual([]);
  });

  it('refuses bad match and CORS fields', () => {
    expect(check((vs) => {
      vs.spec.http[0]!.match[0] = { queryParams: { q: { exact: 'a', regex: 'b' } }, port: 0, ignoreUriCase: 'yes' };
      vs.spec.http[1]!.corsPolicy = { allowOrigin: ['*'], allowMethods: ['GET POST'], unmatchedPreflights: 'DROP' };
    })).toEqual([
      { path: 'spec.http[0].match[0].queryParams.q', message: 'exactly one of exact, prefix or regex is allowed; got exact and regex' },
      { path: 'spec.http[0].match[0].port', message: 'must be at least 1' },
      { path: 'spec.http[0].match[0].ignoreUriCase', message: 'expected boolean, got string "yes"' },
      { path: 'spec.http[1].corsPolicy.allowMethods[0]', message: 'must be an HTTP method such as "GET"' },
      { path: 'spec.http[1].corsPolicy.unmatchedPreflights', message: 'must be UNSPECIFIED, FORWARD or IGNORE' },
      { path: 'spec.http[1].corsPolicy.allowOrigin', message: '"allowOrigin" is an Istio field this control plane does not support yet' },
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

  it('requires some routes, naming http, tcp and tls', () => {
    expect(check((vs) => delete (vs.spec as Record<string, unknown>).http)).toEqual([
      { path: 'spec.http', message: 'required: at least one of http, tcp or tls routes' },
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

const L4 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: data, namespace: shop}
spec:
  hosts: [mysql.shop.svc, "*.db.example.com"]
  gateways: [ingress, mesh]
  tcp:
  - match: [{port: 3306}]
    route:
    - destination: {host: mysql.shop.svc, subset: primary}
      weight: 90
    - destination: {host: mysql.shop.svc, subset: replica}
      weight: 10
  tls:
  - match: [{sniHosts: [a.db.example.com], port: 443}]
    route:
    - destination: {host: a.db.example.com, port: {number: 5432}}
`;

describe('VirtualService tcp and tls routes', () => {
  const l4 = (() => {
    const body = parseObjectBody(L4, 'application/yaml');
    if (!body.ok) throw new Error('bad fixture');
    return body.object as { spec: Record<string, any> };
  })();
  const checkL4 = (edit: (vs: typeof l4) => void) => errorsOf(validateIntent(edited(l4, edit)));

  it('accepts weighted tcp routes matched by port and tls routes matched by SNI, without http', () => {
    const result = validateYaml(L4);
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.warnings).toEqual([]);
    expect(result.ok && result.object.spec).toEqual(l4.spec);
  });

  it('warns when tcp weights do not sum to 100', () => {
    const result = validateIntent(edited(l4, (vs) => (vs.spec.tcp[0].route[1].weight = 20)));
    expect(result.ok && result.warnings).toEqual([{ path: 'spec.tcp[0].route', message: 'weights sum to 110; each destination gets weight/sum' }]);
  });

  it('refuses L4 match fields not supported yet, naming them', () => {
    expect(checkL4((vs) => {
      vs.spec.tcp[0].match[0].destinationSubnets = ['10.0.0.0/8'];
      vs.spec.tcp[0].match[0].sourceLabels = { app: 'x' };
      vs.spec.tls[0].match[0].sourceNamespace = 'x';
    })).toEqual([
      { path: 'spec.tcp[0].match[0].destinationSubnets', message: '"destinationSubnets" is an Istio field this control plane does not support yet' },
      { path: 'spec.tcp[0].match[0].sourceLabels', message: '"sourceLabels" is an Istio field this control plane does not support yet' },
      { path: 'spec.tls[0].match[0].sourceNamespace', message: '"sourceNamespace" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('requires tls matches with sniHosts, and destinations on every rule', () => {
    expect(checkL4((vs) => {
      vs.spec.tls[0].match = [{ port: 443 }];
      vs.spec.tcp[0].route = [];
      vs.spec.tls.push({ route: [{ destination: { host: 'a.db.example.com' } }] });
    })).toEqual([
      { path: 'spec.tcp[0].route', message: 'at least one destination is required' },
      { path: 'spec.tls[0].match[0].sniHosts', message: 'required' },
      { path: 'spec.tls[1].match', message: 'required' },
    ]);
  });

  it('refuses SNI hosts outside the VirtualService hosts, all-zero weights and header operations on L4 destinations', () => {
    expect(checkL4((vs) => {
      vs.spec.tls[0].match[0].sniHosts = ['a.db.example.com', 'other.example.com'];
      vs.spec.tcp[0].route[0].weight = 0;
      vs.spec.tcp[0].route[1].weight = 0;
    })).toEqual([
      { path: 'spec.tcp[0].route', message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' },
      { path: 'spec.tls[0].match[0].sniHosts[1]', message: "other.example.com matches none of the VirtualService's hosts (mysql.shop.svc, *.db.example.com)" },
    ]);
    expect(checkL4((vs) => (vs.spec.tcp[0].route[0].headers = { request: { set: { a: 'b' } } }))).toEqual([
      { path: 'spec.tcp[0].route[0].headers', message: 'unknown field "headers"' },
    ]);
  });

  it('refuses empty tcp and tls lists and a bad match port', () => {
    expect(checkL4((vs) => {
      vs.spec.tls = [];
      vs.spec.tcp[0].match[0].port = 0;
    })).toEqual([
      { path: 'spec.tcp[0].match[0].port', message: 'must be at least 1' },
      { path: 'spec.tls', message: 'must not be empty; leave it out when there are no tls routes' },
    ]);
  });
});

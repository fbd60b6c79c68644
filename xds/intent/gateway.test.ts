import { describe, expect, it } from 'vitest';
import { errorsOf, validateYaml } from './test-utils';

const BOOKINFO = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  namespace: bookinfo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: http
    hosts:
    - "*"
    - bookinfo/reviews.example.com
    - "*/*.example.org"
`;

describe('Gateway', () => {
  it('accepts an HTTP server, upper-casing the protocol', () => {
    const result = validateYaml(BOOKINFO);
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.object.spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*', 'bookinfo/reviews.example.com', '*/*.example.org'] }],
    });
  });

  it('refuses HTTPS servers and tls as not supported yet', () => {
    const yaml = BOOKINFO.replace('protocol: http', 'protocol: HTTPS').replace('    hosts:', '    tls:\n      mode: SIMPLE\n      credentialName: bookinfo-cert\n    hosts:');
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.servers[0].port.protocol', message: 'protocol HTTPS is not supported yet; supported: HTTP' },
      { path: 'spec.servers[0].tls', message: '"tls" is an Istio field this control plane does not support yet' },
    ]);
  });

  it('refuses an empty selector, missing hosts and a bad port', () => {
    const yaml = BOOKINFO.replace('    istio: ingressgateway', '    {}').replace(/    hosts:[\s\S]*$/, '').replace('number: 8080', 'number: 80.5');
    expect(errorsOf(validateYaml(yaml.replace('  selector:\n    {}', '  selector: {}')))).toEqual([
      { path: 'spec.selector', message: 'at least one label is required: an empty selector would select every proxy' },
      { path: 'spec.servers[0].port.number', message: 'expected integer, got number 80.5' },
      { path: 'spec.servers[0].hosts', message: 'required' },
    ]);
  });

  it('refuses a malformed server host', () => {
    expect(errorsOf(validateYaml(BOOKINFO.replace('bookinfo/reviews.example.com', 'a/b/c')))).toEqual([
      { path: 'spec.servers[0].hosts[1]', message: 'must be "host" or "namespace/host", host a DNS name, "*.suffix" or "*"' },
    ]);
  });
});

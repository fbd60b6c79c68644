import { describe, expect, it } from 'vitest';
import { parseObjectBody } from './manifest';
import { edited, errorsOf, validateYaml } from './test-utils';
import { validateIntent } from './validate';

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

const SERVERS = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop/shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert, minProtocolVersion: TLSV1_2, maxProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]}
  - port: {number: 443, name: https-admin, protocol: HTTPS}
    hosts: [admin.example.com]
    tls: {mode: MUTUAL, serverCertificate: /etc/certs/tls.crt, privateKey: /etc/certs/tls.key, caCertificates: /etc/certs/ca.crt, subjectAltNames: [ops.example.com]}
  - port: {number: 443, name: tls-passthrough, protocol: TLS}
    hosts: ["*.db.example.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 3306, name: mysql, protocol: MYSQL}
    hosts: ["*"]
  - port: {number: 6379, name: redis, protocol: tcp}
    hosts: ["*"]
`;

describe('Gateway servers: HTTPS, TLS, TCP', () => {
  const gw = (() => {
    const body = parseObjectBody(SERVERS, 'application/yaml');
    if (!body.ok) throw new Error('bad fixture');
    return body.object as { spec: { servers: Array<Record<string, any>> } };
  })();
  const check = (edit: (g: typeof gw) => void) => errorsOf(validateIntent(edited(gw, edit)));

  it('accepts HTTP with httpsRedirect, SIMPLE and MUTUAL HTTPS, TLS passthrough and TCP servers sharing ports by SNI', () => {
    const result = validateYaml(SERVERS);
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.object.kind === 'Gateway' && result.object.spec.servers.map((s) => s.port.protocol)).toEqual(['HTTP', 'HTTPS', 'HTTPS', 'TLS', 'MYSQL', 'TCP']);
  });

  it('requires tls on HTTPS and TLS servers', () => {
    expect(check((g) => delete g.spec.servers[1]!.tls)).toEqual([
      { path: 'spec.servers[1].tls', message: 'required for HTTPS servers: mode SIMPLE or MUTUAL with credentialName (or serverCertificate and privateKey), or mode PASSTHROUGH' },
    ]);
  });

  it('refuses HTTP and HTTPS on one port, naming both servers', () => {
    expect(check((g) => (g.spec.servers[0]!.port.number = 443))).toEqual([
      { path: 'spec.servers[1].port.protocol', message: 'port 443 is already served as plaintext HTTP by servers[0]; HTTPS cannot share it (a port carries one of plaintext HTTP, TLS or plain TCP)' },
      { path: 'spec.servers[2].port.protocol', message: 'port 443 is already served as plaintext HTTP by servers[0]; HTTPS cannot share it (a port carries one of plaintext HTTP, TLS or plain TCP)' },
      { path: 'spec.servers[3].port.protocol', message: 'port 443 is already served as plaintext HTTP by servers[0]; TLS cannot share it (a port carries one of plaintext HTTP, TLS or plain TCP)' },
    ]);
  });

  it('refuses two TLS servers for one SNI host on a port, two TCP servers on a port, and repeated port names', () => {
    expect(check((g) => {
      g.spec.servers[2]!.hosts = ['other/shop.example.com'];
      g.spec.servers[5]!.port.number = 3306;
      g.spec.servers[5]!.port.name = 'mysql';
    })).toEqual([
      { path: 'spec.servers[2].hosts[0]', message: 'host shop.example.com is already served on port 443 by servers[1]; TLS servers on one port are told apart by SNI host' },
      { path: 'spec.servers[5].port.name', message: 'port name mysql is already used by servers[4]; port names must be unique' },
      { path: 'spec.servers[5].port.number', message: 'port 3306 is already served as TCP by servers[4]; plain TCP has no host to tell two servers apart' },
    ]);
  });

  it('refuses missing or conflicting credentials, naming the field', () => {
    expect(check((g) => {
      g.spec.servers[1]!.tls = { mode: 'SIMPLE' };
      g.spec.servers[2]!.tls = { mode: 'MUTUAL', credentialName: 'admin', serverCertificate: '/c.pem' };
    })).toEqual([
      { path: 'spec.servers[1].tls.serverCertificate', message: 'required with mode SIMPLE (or set credentialName)' },
      { path: 'spec.servers[1].tls.privateKey', message: 'required with mode SIMPLE (or set credentialName)' },
      { path: 'spec.servers[2].tls.serverCertificate', message: 'cannot be combined with credentialName: the secret provides it' },
    ]);
    expect(check((g) => (g.spec.servers[2]!.tls = { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' }))).toEqual([
      { path: 'spec.servers[2].tls.caCertificates', message: 'required with mode MUTUAL (or set credentialName)' },
    ]);
    expect(check((g) => (g.spec.servers[1]!.tls.subjectAltNames = ['a']))).toEqual([
      { path: 'spec.servers[1].tls.subjectAltNames', message: 'verifies client certificates, which only mode MUTUAL asks for' },
    ]);
  });

  it('refuses certificates on passthrough, including a missing mode (PASSTHROUGH, as in Istio)', () => {
    expect(check((g) => {
      g.spec.servers[3]!.tls.credentialName = 'db';
      delete g.spec.servers[1]!.tls.mode;
    })).toEqual([
      { path: 'spec.servers[1].tls.credentialName', message: 'has no effect: mode is missing, which means PASSTHROUGH (as in Istio): TLS is forwarded without terminating it; set mode SIMPLE or MUTUAL' },
      { path: 'spec.servers[1].tls.minProtocolVersion', message: 'has no effect: mode is missing, which means PASSTHROUGH (as in Istio): TLS is forwarded without terminating it; set mode SIMPLE or MUTUAL' },
      { path: 'spec.servers[1].tls.maxProtocolVersion', message: 'has no effect: mode is missing, which means PASSTHROUGH (as in Istio): TLS is forwarded without terminating it; set mode SIMPLE or MUTUAL' },
      { path: 'spec.servers[1].tls.cipherSuites', message: 'has no effect: mode is missing, which means PASSTHROUGH (as in Istio): TLS is forwarded without terminating it; set mode SIMPLE or MUTUAL' },
      { path: 'spec.servers[3].tls.credentialName', message: 'has no effect: PASSTHROUGH forwards TLS without terminating it' },
    ]);
  });

  it('refuses TLS settings on HTTP and TCP servers and httpsRedirect beyond HTTP', () => {
    expect(check((g) => {
      g.spec.servers[0]!.tls.mode = 'SIMPLE';
      g.spec.servers[5]!.tls = { mode: 'SIMPLE' };
      g.spec.servers[1]!.tls.httpsRedirect = true;
    })).toEqual([
      { path: 'spec.servers[0].tls.mode', message: 'an HTTP server does not terminate TLS; only httpsRedirect applies here (use protocol HTTPS)' },
      { path: 'spec.servers[1].tls.httpsRedirect', message: 'applies to HTTP servers only: it redirects plain HTTP requests to https' },
      { path: 'spec.servers[5].tls', message: 'a TCP server carries no TLS settings; use protocol TLS to terminate or pass TLS through' },
    ]);
  });

  it("takes ISTIO_MUTUAL with the gateway's own workload identity, refusing certificates beside it", () => {
    expect(check((g) => {
      g.spec.servers[1]!.tls = { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/shop/sa/web'] };
    })).toEqual([]);
    const notUsed = "is not used with mode ISTIO_MUTUAL: the gateway's workload certificate and root CA come from its SDS provider (use MUTUAL to set them)";
    expect(check((g) => {
      g.spec.servers[1]!.tls = { mode: 'ISTIO_MUTUAL', credentialName: 'web-cert', caCertificates: '/etc/ca.pem' };
    })).toEqual([
      { path: 'spec.servers[1].tls.credentialName', message: notUsed },
      { path: 'spec.servers[1].tls.caCertificates', message: notUsed },
    ]);
  });

  it('refuses unsupported modes and fields with the reason, and bad protocol versions', () => {
    expect(check((g) => {
      g.spec.servers[2]!.tls.mode = 'OPTIONAL_MUTUAL';
      g.spec.servers[3]!.tls.verifyCertificateSpki = ['abc'];
    })).toEqual([
      { path: 'spec.servers[2].tls.mode', message: 'OPTIONAL_MUTUAL is not supported yet; use MUTUAL (client certificate required) or SIMPLE' },
      { path: 'spec.servers[3].tls.verifyCertificateSpki', message: '"verifyCertificateSpki" is an Istio field this control plane does not support yet' },
    ]);
    expect(check((g) => {
      g.spec.servers[1]!.tls.minProtocolVersion = 'TLSV1_3';
      g.spec.servers[1]!.tls.maxProtocolVersion = 'TLSV1_2';
      g.spec.servers[2]!.tls.minProtocolVersion = 'TLS1.2';
      g.spec.servers[4]!.port.protocol = 'UDP';
    })).toEqual([
      { path: 'spec.servers[1].tls.maxProtocolVersion', message: 'TLSV1_2 is below minProtocolVersion TLSV1_3' },
      { path: 'spec.servers[2].tls.minProtocolVersion', message: 'expected one of TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3, got "TLS1.2"' },
      { path: 'spec.servers[4].port.protocol', message: 'protocol UDP is not supported yet; supported: HTTP, HTTPS, HTTP2, GRPC, TCP, TLS, MONGO, REDIS, MYSQL' },
    ]);
  });
});

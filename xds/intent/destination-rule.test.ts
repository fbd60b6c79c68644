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

  it('takes PASSTHROUGH (Istio: to the address the caller dialled) and refuses unknown policies clearly', () => {
    expect(errorsOf(validateYaml(REVIEWS.replace('simple: RANDOM', 'simple: PASSTHROUGH')))).toEqual([]);
    expect(errorsOf(validateYaml(REVIEWS.replace('simple: ROUND_ROBIN', 'simple: FASTEST')))).toEqual([
      { path: 'spec.subsets[1].trafficPolicy.loadBalancer.simple', message: 'expected ROUND_ROBIN, LEAST_REQUEST, RANDOM or PASSTHROUGH, got "FASTEST"' },
    ]);
  });

  it('names Istio traffic policies that are not supported yet', () => {
    const yaml = REVIEWS.replace('      simple: RANDOM', '      warmupDurationSecs: 10s\n    proxyProtocol:\n      version: V1');
    expect(errorsOf(validateYaml(yaml))).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.warmupDurationSecs', message: '"warmupDurationSecs" is an Istio field this control plane does not support yet' },
      { path: 'spec.trafficPolicy.proxyProtocol', message: '"proxyProtocol" is an Istio field this control plane does not support yet' },
    ]);
  });
});

/** A rule whose top-level trafficPolicy is `policy` (YAML indented under trafficPolicy:). */
const withPolicy = (policy: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
${policy.trim().split('\n').map((l) => `    ${l}`).join('\n')}
`;
const errors = (policy: string) => errorsOf(validateYaml(withPolicy(policy)));

describe('DestinationRule trafficPolicy.loadBalancer.consistentHash', () => {
  it('accepts a header, cookie, source IP or query parameter key with ringHash or maglev', () => {
    for (const key of ['httpHeaderName: x-user', 'httpCookie: {name: session, path: /, ttl: 0s}', 'useSourceIp: true', 'httpQueryParameterName: user']) {
      expect(errors(`loadBalancer:\n  consistentHash: {${key}, ringHash: {minimumRingSize: 2048}}`)).toEqual([]);
      expect(errors(`loadBalancer:\n  consistentHash: {${key}, maglev: {tableSize: 65537}}`)).toEqual([]);
    }
  });

  it('refuses a missing or second hash key, both simple and consistentHash, and both ring and maglev', () => {
    expect(errors('loadBalancer: {consistentHash: {ringHash: {}}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash', message: 'one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName is required' },
    ]);
    expect(errors('loadBalancer: {simple: RANDOM, consistentHash: {httpHeaderName: x-user, useSourceIp: true, ringHash: {}, maglev: {}}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp', message: 'only one hash key may be set; httpHeaderName is already' },
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.maglev', message: 'set either ringHash or maglev, not both' },
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash', message: 'set either simple or consistentHash, not both' },
    ]);
  });

  it('refuses a cookie without ttl, a bad header name, a non-prime maglev table and an oversized ring', () => {
    expect(errors('loadBalancer: {consistentHash: {httpCookie: {name: session}}}')).toEqual([{ path: 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl', message: 'required' }]);
    expect(errors('loadBalancer: {consistentHash: {httpHeaderName: "x user"}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName', message: "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)" },
    ]);
    expect(errors('loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', message: 'must be a prime number (Envoy requires it)' },
    ]);
    expect(errors('loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 9000000}}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize', message: 'must be at most 8388608' },
    ]);
  });

  it('points deprecated minimumRingSize at its replacement', () => {
    expect(errors('loadBalancer: {consistentHash: {useSourceIp: true, minimumRingSize: 1024}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize', message: 'deprecated in Istio; use ringHash.minimumRingSize' },
    ]);
  });
});

describe('DestinationRule trafficPolicy.loadBalancer.localityLbSetting', () => {
  const od = 'outlierDetection: {consecutive5xxErrors: 1}';
  it('accepts distribute, failover with outlier detection, and enabled', () => {
    expect(errors('loadBalancer: {localityLbSetting: {distribute: [{from: "us-west/zone1/*", to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}}]}}')).toEqual([]);
    expect(errors(`loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}]}}\n${od}`)).toEqual([]);
    expect(errors('loadBalancer: {localityLbSetting: {enabled: false, failover: [{from: a, to: b}]}}')).toEqual([]);
  });

  it('refuses failover without outlier detection, bad weights and patterns, naming the fields', () => {
    expect(errors('loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: us-east}]}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to', message: 'must differ from from: failover is to another region' },
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover', message: 'needs outlierDetection: without it no endpoint is ejected and traffic never fails over (as in Istio)' },
    ]);
    expect(errors(`loadBalancer: {localityLbSetting: {failover: [{from: a/z, to: b}]}}\n${od}`)).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].from', message: 'must be a region: no "/" and no "*"' },
    ]);
    expect(errors('loadBalancer: {localityLbSetting: {distribute: [{from: "a/*/c", to: {a: 100}}]}}')).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from', message: '"a/*/c": a wildcard must be a whole part, and the last one (e.g. "us-west/*")' },
    ]);
    expect(errors(`loadBalancer: {localityLbSetting: {distribute: [{from: "*", to: {a: 60, b: 30}}], failover: [{from: a, to: b}], failoverPriority: [x]}}\n${od}`)).toEqual([
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover', message: 'set either distribute or failover, not both (as in Istio)' },
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority', message: 'set either distribute or failoverPriority, not both (Istio ignores failoverPriority when distribute is set)' },
      { path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to', message: 'weights must add up to 100, not 90' },
    ]);
  });

  it('accepts failoverPriority labels (key or key=value), alone or with failover, with outlier detection', () => {
    expect(errors(`loadBalancer: {localityLbSetting: {failoverPriority: [tier, topology.kubernetes.io/zone, app.kubernetes.io/version=v2]}}\n${od}`)).toEqual([]);
    expect(errors(`loadBalancer: {localityLbSetting: {failoverPriority: [tier], failover: [{from: a, to: b}]}}\n${od}`)).toEqual([]);
    expect(errors('loadBalancer: {localityLbSetting: {enabled: false, failoverPriority: [tier]}}')).toEqual([]);
  });

  it('refuses failoverPriority without outlier detection, bad or repeated keys, network, and locality labels beside failover', () => {
    const lp = 'spec.trafficPolicy.loadBalancer.localityLbSetting';
    expect(errors('loadBalancer: {localityLbSetting: {failoverPriority: [tier]}}')).toEqual([
      { path: `${lp}.failoverPriority`, message: 'needs outlierDetection: without it no endpoint is ejected and traffic never fails over (as in Istio)' },
    ]);
    expect(errors(`loadBalancer: {localityLbSetting: {failoverPriority: ["-bad", "ver=a=b", tier, tier, topology.istio.io/network]}}\n${od}`)).toEqual([
      { path: `${lp}.failoverPriority[0]`, message: '"-bad" must be a label key, or key=value' },
      { path: `${lp}.failoverPriority[1]`, message: '"ver=a=b": "a=b" is not a label value' },
      { path: `${lp}.failoverPriority[3]`, message: 'label tier is listed twice' },
      { path: `${lp}.failoverPriority[4]`, message: 'not supported: topology.istio.io/network compares networks, and this control plane has none (endpoint network is only stored)' },
    ]);
    expect(errors(`loadBalancer: {localityLbSetting: {failoverPriority: [tier, topology.kubernetes.io/region], failover: [{from: a, to: b}]}}\n${od}`)).toEqual([
      { path: `${lp}.failoverPriority[1]`, message: 'cannot be set together with failover: topology.kubernetes.io/region is a locality label (as in Istio)' },
    ]);
    expect(errors('portLevelSettings: [{port: {number: 80}, loadBalancer: {localityLbSetting: {failoverPriority: [tier]}}}]')).toEqual([
      { path: 'spec.trafficPolicy.portLevelSettings[0].loadBalancer.localityLbSetting.failoverPriority', message: 'needs outlierDetection in this port-level entry, which replaces the whole policy' },
    ]);
  });
});

describe('DestinationRule trafficPolicy.connectionPool', () => {
  it('accepts every tcp and http setting', () => {
    const policy = `connectionPool:
  tcp: {maxConnections: 100, connectTimeout: 30ms, tcpKeepalive: {probes: 3, time: 2h, interval: 75s}, maxConnectionDuration: 1h, idleTimeout: 1h}
  http: {http1MaxPendingRequests: 10, http2MaxRequests: 100, maxRequestsPerConnection: 1, maxRetries: 3, idleTimeout: 30s, h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 64}`;
    expect(errors(policy)).toEqual([]);
  });

  it('refuses negative limits, zero timeouts, sub-second keepalives and unknown upgrade policies', () => {
    expect(errors('connectionPool: {tcp: {maxConnections: -1, connectTimeout: 0s, tcpKeepalive: {time: 500ms}}, http: {h2UpgradePolicy: ALWAYS, useClientProtocol: true}}')).toEqual([
      { path: 'spec.trafficPolicy.connectionPool.tcp.maxConnections', message: 'must be at least 0' },
      { path: 'spec.trafficPolicy.connectionPool.tcp.connectTimeout', message: 'must be at least 1ms' },
      { path: 'spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time', message: 'must be whole seconds, at least 1s: Envoy counts keepalive times in seconds' },
      { path: 'spec.trafficPolicy.connectionPool.http.h2UpgradePolicy', message: 'expected DEFAULT, DO_NOT_UPGRADE or UPGRADE, got "ALWAYS"' },
      { path: 'spec.trafficPolicy.connectionPool.http.useClientProtocol', message: '"useClientProtocol" is an Istio field this control plane does not support yet' },
    ]);
  });
});

describe('DestinationRule trafficPolicy.outlierDetection', () => {
  it('accepts every field', () => {
    const policy = 'outlierDetection: {consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, consecutiveLocalOriginFailures: 2, splitExternalLocalOriginErrors: true, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 10}';
    expect(errors(policy)).toEqual([]);
  });

  it('refuses negative counts, bad percentages, zero intervals and local-origin counts without the split', () => {
    expect(errors('outlierDetection: {consecutive5xxErrors: -1, interval: 0s, maxEjectionPercent: 101}')).toEqual([
      { path: 'spec.trafficPolicy.outlierDetection.consecutive5xxErrors', message: 'must be at least 0' },
      { path: 'spec.trafficPolicy.outlierDetection.interval', message: 'must be at least 1ms' },
      { path: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', message: 'must be at most 100' },
    ]);
    expect(errors('outlierDetection: {consecutiveLocalOriginFailures: 3}')).toEqual([
      { path: 'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures', message: 'needs splitExternalLocalOriginErrors: true (local-origin failures are only counted apart when split)' },
    ]);
    expect(errors('outlierDetection: {consecutiveErrors: 5}')).toEqual([{ path: 'spec.trafficPolicy.outlierDetection.consecutiveErrors', message: 'deprecated in Istio; use consecutive5xxErrors' }]);
  });
});

describe('DestinationRule trafficPolicy.tls', () => {
  it('accepts SIMPLE, MUTUAL with files or a credential, and SIMPLE without verification', () => {
    expect(errors('tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, subjectAltNames: [a.example], sni: a.example}')).toEqual([]);
    expect(errors('tls: {mode: MUTUAL, clientCertificate: /etc/c.pem, privateKey: /etc/k.pem}')).toEqual([]);
    expect(errors('tls: {mode: MUTUAL, credentialName: client-cert}')).toEqual([]);
    expect(errors('tls: {mode: SIMPLE, insecureSkipVerify: true}')).toEqual([]);
  });

  it('accepts ISTIO_MUTUAL, alone or with SPIFFE subjectAltNames and an sni', () => {
    expect(errors('tls: {mode: ISTIO_MUTUAL}')).toEqual([]);
    expect(errors('tls: {mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/shop/sa/payments], sni: payments.shop}')).toEqual([]);
  });

  it('refuses certificates, a credential and insecureSkipVerify with ISTIO_MUTUAL, and unknown modes', () => {
    const notUsed = "is not used with mode ISTIO_MUTUAL: the proxy's workload certificate and root CA come from its SDS provider (use MUTUAL to set them)";
    expect(errors('tls: {mode: ISTIO_MUTUAL, clientCertificate: /etc/c.pem, privateKey: /etc/k.pem, caCertificates: /etc/ca.pem}')).toEqual([
      { path: 'spec.trafficPolicy.tls.clientCertificate', message: notUsed },
      { path: 'spec.trafficPolicy.tls.privateKey', message: notUsed },
      { path: 'spec.trafficPolicy.tls.caCertificates', message: notUsed },
    ]);
    expect(errors('tls: {mode: ISTIO_MUTUAL, credentialName: client-cert}')).toEqual([{ path: 'spec.trafficPolicy.tls.credentialName', message: notUsed }]);
    expect(errors('tls: {mode: ISTIO_MUTUAL, insecureSkipVerify: true}')).toEqual([
      { path: 'spec.trafficPolicy.tls.insecureSkipVerify', message: 'is not used with mode ISTIO_MUTUAL: the server is always verified against the workload root CA' },
    ]);
    expect(errors('tls: {mode: STRICT}')).toEqual([{ path: 'spec.trafficPolicy.tls.mode', message: 'expected DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL, got "STRICT"' }]);
  });

  it('refuses MUTUAL without a key pair, keys with SIMPLE, files beside a credential, and verification settings that contradict insecureSkipVerify', () => {
    expect(errors('tls: {mode: MUTUAL, caCertificates: /etc/ca.pem}')).toEqual([
      { path: 'spec.trafficPolicy.tls.clientCertificate', message: 'required with mode MUTUAL (or set credentialName)' },
      { path: 'spec.trafficPolicy.tls.privateKey', message: 'required with mode MUTUAL (or set credentialName)' },
    ]);
    expect(errors('tls: {mode: SIMPLE, privateKey: /etc/k.pem}')).toEqual([{ path: 'spec.trafficPolicy.tls.privateKey', message: 'is only used with mode MUTUAL' }]);
    expect(errors('tls: {mode: SIMPLE, credentialName: c, caCertificates: /etc/ca.pem}')).toEqual([
      { path: 'spec.trafficPolicy.tls.caCertificates', message: 'cannot be combined with credentialName: the secret provides it' },
    ]);
    expect(errors('tls: {mode: SIMPLE, insecureSkipVerify: true, subjectAltNames: [a]}')).toEqual([
      { path: 'spec.trafficPolicy.tls.subjectAltNames', message: 'contradicts insecureSkipVerify: true, which skips verifying the server' },
    ]);
    expect(errors('tls: {sni: a.example}')).toEqual([{ path: 'spec.trafficPolicy.tls.sni', message: 'has no effect with mode DISABLE (set mode SIMPLE or MUTUAL)' }]);
  });
});

describe('DestinationRule trafficPolicy.portLevelSettings', () => {
  it('accepts per-port policies at the top and in subsets', () => {
    const yaml = `${withPolicy('portLevelSettings:\n- port: {number: 80}\n  tls: {mode: SIMPLE}')}  subsets:
  - name: v1
    trafficPolicy:
      portLevelSettings:
      - port: {number: 80}
        loadBalancer: {simple: RANDOM}
`;
    expect(errorsOf(validateYaml(yaml))).toEqual([]);
  });

  it('refuses an entry without a port and a port listed twice', () => {
    expect(errors('portLevelSettings:\n- tls: {mode: SIMPLE}')).toEqual([{ path: 'spec.trafficPolicy.portLevelSettings[0].port', message: 'required' }]);
    expect(errors('portLevelSettings:\n- port: {number: 80}\n- port: {number: 80}')).toEqual([
      { path: 'spec.trafficPolicy.portLevelSettings[1].port.number', message: 'duplicate port 80' },
    ]);
  });

  describe('workloadSelector', () => {
    const withSelector = (extra: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-mtls, namespace: default}
spec:
  host: ratings
${extra}`;
    it('accepts matchLabels, with exportTo left out or "."', () => {
      expect(errorsOf(validateYaml(withSelector('  workloadSelector: {matchLabels: {app: ratings}}\n')))).toEqual([]);
      expect(errorsOf(validateYaml(withSelector('  workloadSelector: {matchLabels: {app: ratings}}\n  exportTo: ["."]\n')))).toEqual([]);
    });
    it('refuses no labels, wildcard labels, labels outside matchLabels and exportTo beyond the namespace, naming the field', () => {
      expect(errorsOf(validateYaml(withSelector('  workloadSelector: {matchLabels: {}}\n')))).toEqual([
        { path: 'spec.workloadSelector.matchLabels', message: 'at least one label is required; leave workloadSelector out to apply the rule to every proxy' },
      ]);
      expect(errorsOf(validateYaml(withSelector('  workloadSelector: {matchLabels: {app: "*"}}\n'))).map((e) => e.path)).toEqual(['spec.workloadSelector.matchLabels.app']);
      expect(errorsOf(validateYaml(withSelector('  workloadSelector: {labels: {app: ratings}}\n'))).map((e) => e.path)).toEqual(['spec.workloadSelector.matchLabels', 'spec.workloadSelector.labels']);
      for (const exportTo of ['["*"]', '[".", "other"]', '["~"]']) {
        expect(errorsOf(validateYaml(withSelector(`  workloadSelector: {matchLabels: {app: ratings}}\n  exportTo: ${exportTo}\n`)))).toEqual([
          { path: 'spec.exportTo', message: 'a DestinationRule with workloadSelector applies only in its own namespace: exportTo may only be "." (or that namespace\'s name), as Istio validates' },
        ]);
      }
    });
  });
});

import { describe, expect, it } from 'vitest';
import { API_VERSIONS } from './common';
import { egressHostProblem } from './sidecar';
import { edited, errorsOf } from './test-utils';
import { validateIntent } from './validate';

const SIDECAR = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Sidecar',
  metadata: { name: 'default', namespace: 'bookinfo' },
  spec: {
    workloadSelector: { labels: { app: 'ratings' } },
    egress: [
      { port: { number: 9080, protocol: 'http', name: 'http' }, hosts: ['./ratings.bookinfo.svc.cluster.local'] },
      { hosts: ['./*', 'istio-system/*', '*/*.example.com', '~data/secret.data.svc.cluster.local', '~/*.internal'], bind: '', captureMode: 'DEFAULT' },
    ],
    outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  },
};

const errors = (edit: (s: any) => void) => errorsOf(validateIntent(edited(SIDECAR as any, edit)));

describe('Sidecar', () => {
  it('accepts egress listeners, a workloadSelector and REGISTRY_ONLY in every API version, upper-casing protocols', () => {
    for (const apiVersion of API_VERSIONS) {
      const result = validateIntent({ ...SIDECAR, apiVersion });
      expect(errorsOf(result)).toEqual([]);
      expect(result.ok && result.object.spec).toMatchObject({ egress: [{ port: { number: 9080, protocol: 'HTTP' } }, {}] });
    }
    expect(errors((s) => { s.spec = { outboundTrafficPolicy: {} }; })).toEqual([]);
  });

  it('names each egress host that is not namespace/dnsName', () => {
    expect(errors((s) => { s.spec.egress[1].hosts = ['./*', 'ratings', '/x.example.com', 'Bad_NS/x.example.com', 'ns/ratings', 'ns/', 'ns/*foo.example.com', 'a/b/c.example.com']; })).toEqual([
      { path: 'spec.egress[1].hosts[1]', message: 'must be "namespace/dnsName": a namespace ("*", ".", a name, or one of them prefixed with "~" to exclude) and a DNS name ("*", "*.suffix" or a fully qualified name)' },
      { path: 'spec.egress[1].hosts[2]', message: 'the namespace before "/" must not be empty: "*" for any namespace, "." for the Sidecar\'s own, or "~" to exclude from every namespace' },
      { path: 'spec.egress[1].hosts[3]', message: 'namespace "Bad_NS" must be "*", ".", a namespace name, or one of them prefixed with "~"' },
      { path: 'spec.egress[1].hosts[4]', message: '"ratings" is a short name; Istio requires a fully qualified DNS name, "*.suffix" or "*"' },
      { path: 'spec.egress[1].hosts[5]', message: 'the DNS name after "/" must not be empty: "*" selects every host of the namespace' },
      { path: 'spec.egress[1].hosts[6]', message: '"*foo.example.com" must be a DNS name, optionally with a leading "*." wildcard, or "*"' },
      { path: 'spec.egress[1].hosts[7]', message: '"b/c.example.com" must be a DNS name, optionally with a leading "*." wildcard, or "*"' },
    ]);
    for (const ok of ['*/*', '~/*', './*', '~./x.example.com', 'ns-1/*.svc.cluster.local']) expect(egressHostProblem(ok)).toBeUndefined();
  });

  it('refuses what it cannot honour, naming the field and why', () => {
    const inbound = 'inbound listeners are not configured by this control plane: it renders outbound config only, so a Sidecar scopes what a proxy can call';
    expect(errors((s) => { s.spec.ingress = [{ port: { number: 9080, protocol: 'HTTP' } }]; s.spec.inboundConnectionPool = {}; })).toEqual([
      { path: 'spec.ingress', message: `"ingress" is an Istio field this control plane cannot honour: ${inbound}` },
      { path: 'spec.inboundConnectionPool', message: `"inboundConnectionPool" is an Istio field this control plane cannot honour: ${inbound}` },
    ]);
    const capture = 'proxies here capture no traffic: each listener binds a service port on 0.0.0.0 and the application calls it';
    expect(errors((s) => { s.spec.egress[0].bind = '127.0.0.1'; s.spec.egress[1].captureMode = 'NONE'; })).toEqual([
      { path: 'spec.egress[0].bind', message: `a bind address or Unix domain socket cannot be honoured: ${capture}` },
      { path: 'spec.egress[1].captureMode', message: `NONE cannot be honoured, only DEFAULT: ${capture}` },
    ]);
    expect(errors((s) => { s.spec.egress[0].port.number = 0; })).toEqual([{ path: 'spec.egress[0].port.number', message: `0 is a Unix domain socket listener, which needs bind; ${capture}` }]);
    expect(errors((s) => { s.spec.egress[0].port.targetPort = 80; })).toEqual([{ path: 'spec.egress[0].port.targetPort', message: '"targetPort" is an Istio field this control plane cannot honour: it has no effect on a Sidecar (Istio refuses it too)' }]);
    const [allowAny] = errors((s) => { s.spec.outboundTrafficPolicy = { mode: 'ALLOW_ANY' }; });
    expect(allowAny).toMatchObject({ path: 'spec.outboundTrafficPolicy.mode' });
    expect(allowAny!.message).toMatch(/^ALLOW_ANY cannot be honoured: it forwards unknown traffic to its original destination \(Istio's PassthroughCluster\)/);
    expect(errors((s) => { s.spec.outboundTrafficPolicy = { mode: 'ALLOW_ANY_DYNAMIC_DNS' }; })).toEqual([{ path: 'spec.outboundTrafficPolicy.mode', message: 'ALLOW_ANY_DYNAMIC_DNS is a MeshConfig mode; Istio refuses it in a Sidecar' }]);
    expect(errors((s) => { s.spec.outboundTrafficPolicy.egressProxy = { host: 'egress.example.com' }; })).toEqual([
      { path: 'spec.outboundTrafficPolicy.egressProxy', message: '"egressProxy" is an Istio field this control plane cannot honour: it needs ALLOW_ANY, which cannot be honoured (see mode)' },
    ]);
    expect(errors((s) => { s.spec.egres = []; })).toEqual([{ path: 'spec.egres', message: 'unknown field "egres" (did you mean "egress"?)' }]);
  });

  it('keeps Istio\'s rules for listeners: the catch-all last, ports unique, hosts required, nothing empty', () => {
    expect(errors((s) => { s.spec.egress.reverse(); })).toEqual([{ path: 'spec.egress[0]', message: 'the egress listener without a port (the catch-all) must be the last one' }]);
    expect(errors((s) => { s.spec.egress[1].port = { number: 9080, protocol: 'TCP' }; })).toEqual([{ path: 'spec.egress[1].port.number', message: 'port 9080 already has egress[0]; listener ports must be unique' }]);
    expect(errors((s) => { s.spec.egress[0].hosts = []; s.spec.egress[0].port.protocol = 'UDP'; })).toEqual([
      { path: 'spec.egress[0].port.protocol', message: 'protocol UDP is not supported yet; supported: HTTP, HTTPS, HTTP2, GRPC, TCP, TLS' },
      { path: 'spec.egress[0].hosts', message: 'at least one host is required ("namespace/dnsName"; "~/*" imports nothing)' },
    ]);
    expect(errors((s) => { s.spec = { workloadSelector: { labels: {} } }; })).toEqual([
      { path: 'spec.workloadSelector.labels', message: 'at least one label is required; leave workloadSelector out to apply the Sidecar to its whole namespace' },
      { path: 'spec', message: 'empty Sidecar: set egress (the hosts its proxies may call) or outboundTrafficPolicy' },
    ]);
  });
});

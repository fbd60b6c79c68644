import { describe, expect, it } from 'vitest';
import { parseObjectBody } from './manifest';
import { edited, errorsOf, validateYaml } from './test-utils';
import { validateIntent } from './validate';

// Static endpoints in two localities, as for VMs outside a cluster.
const STATIC = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ratings-vms
  namespace: bookinfo
  labels:
    app.kubernetes.io/name: ratings
spec:
  hosts:
  - ratings.bookinfo.internal
  addresses:
  - 10.10.0.0/24
  location: MESH_INTERNAL
  ports:
  - number: 9080
    name: http
    protocol: http
    targetPort: 8080
  - number: 9443
    name: grpc-admin
    protocol: GRPC
  resolution: STATIC
  endpoints:
  - address: 10.10.0.11
    ports:
      http: 8081
    labels:
      version: v1
    locality: us-east1/us-east1-b
    weight: 3
  - address: 10.10.0.12
    labels:
      version: v2
    locality: us-west1/us-west1-a/rack-7
    network: vpc-west
`;

// Istio's classic external API example.
const DNS = `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: external-svc-https
spec:
  hosts:
  - api.dropboxapi.com
  - www.googleapis.com
  location: MESH_EXTERNAL
  ports:
  - number: 443
    name: https
    protocol: TLS
  resolution: DNS
  exportTo:
  - "."
`;

const statics = (() => {
  const body = parseObjectBody(STATIC, 'application/yaml');
  if (!body.ok) throw new Error('bad fixture');
  return body.object as { spec: Record<string, any> };
})();
const check = (edit: (se: typeof statics) => void) => errorsOf(validateIntent(edited(statics, edit)));

describe('ServiceEntry', () => {
  it('accepts STATIC endpoints with localities, upper-casing protocols', () => {
    const result = validateYaml(STATIC);
    expect(errorsOf(result)).toEqual([]);
    if (!result.ok || result.object.kind !== 'ServiceEntry') throw new Error('unreachable');
    expect(result.object.metadata).toEqual({ name: 'ratings-vms', namespace: 'bookinfo', labels: { 'app.kubernetes.io/name': 'ratings' } });
    expect(result.object.spec.ports).toEqual([
      { number: 9080, name: 'http', protocol: 'HTTP', targetPort: 8080 },
      { number: 9443, name: 'grpc-admin', protocol: 'GRPC' },
    ]);
    expect(result.object.spec.endpoints?.[1]).toEqual({ address: '10.10.0.12', labels: { version: 'v2' }, locality: 'us-west1/us-west1-a/rack-7', network: 'vpc-west' });
  });

  it('accepts a DNS entry for external hosts without endpoints', () => {
    const result = validateYaml(DNS);
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.object.spec).toEqual({
      hosts: ['api.dropboxapi.com', 'www.googleapis.com'],
      location: 'MESH_EXTERNAL',
      ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
      resolution: 'DNS',
      exportTo: ['.'],
    });
  });

  it('takes resolution NONE, and a missing resolution as NONE (Istio), but without endpoints', () => {
    expect(check((se) => {
      se.spec.resolution = 'NONE';
      delete se.spec.endpoints;
    })).toEqual([]);
    expect(check((se) => {
      delete se.spec.resolution;
      delete se.spec.endpoints;
    })).toEqual([]);
    expect(check((se) => delete se.spec.resolution)).toEqual([
      { path: 'spec.endpoints', message: 'no endpoints with resolution NONE (what a missing resolution means, as in Istio): the proxy forwards to the address the caller dialled; use STATIC or DNS to send to these endpoints' },
    ]);
    expect(check((se) => (se.spec.resolution = 'DNS_ROUND_ROBIN'))).toEqual([{ path: 'spec.resolution', message: 'resolution DNS_ROUND_ROBIN is not supported yet; use STATIC or DNS' }]);
  });

  it('refuses hostnames as STATIC endpoints and STATIC without endpoints', () => {
    expect(check((se) => (se.spec.endpoints[0].address = 'vm-1.internal'))).toEqual([
      { path: 'spec.endpoints[0].address', message: 'resolution STATIC needs IP addresses; use resolution DNS for hostnames' },
    ]);
    expect(check((se) => delete se.spec.endpoints)).toEqual([
      { path: 'spec.endpoints', message: 'resolution STATIC needs at least one endpoint' },
    ]);
  });

  it('refuses duplicate port names and numbers, and endpoint ports naming no declared port', () => {
    expect(check((se) => {
      se.spec.ports[1].name = 'http';
      se.spec.ports[1].number = 9080;
      se.spec.endpoints[0].ports = { web: 8081 };
    })).toEqual([
      { path: 'spec.ports[1].name', message: 'duplicate port name "http"' },
      { path: 'spec.ports[1].number', message: 'duplicate port number 9080' },
      { path: 'spec.endpoints[0].ports.web', message: '"web" is not one of the declared ports (http)' },
    ]);
  });

  it('refuses bad ports', () => {
    expect(check((se) => {
      se.spec.ports[0].number = 0;
      se.spec.ports[1].number = '9443';
      se.spec.ports[1].protocol = 'SPDY';
    })).toEqual([
      { path: 'spec.ports[0].number', message: 'must be at least 1' },
      { path: 'spec.ports[1].number', message: 'expected integer, got string "9443"' },
      { path: 'spec.ports[1].protocol', message: 'unknown protocol "SPDY"; supported: HTTP, HTTP2, GRPC, TCP, TLS, HTTPS' },
    ]);
    expect(check((se) => (se.spec.ports[0].protocol = 'Mongo'))).toEqual([
      { path: 'spec.ports[0].protocol', message: 'protocol MONGO is not supported yet; supported: HTTP, HTTP2, GRPC, TCP, TLS, HTTPS' },
    ]);
  });

  it('refuses bad hosts, addresses, localities and weights', () => {
    expect(check((se) => {
      se.spec.hosts = [];
      se.spec.addresses = ['10.0.0.300'];
      se.spec.endpoints[0].locality = 'a/b/c/d';
      se.spec.endpoints[1].weight = 0;
    })).toEqual([
      { path: 'spec.hosts', message: 'at least one host is required' },
      { path: 'spec.addresses[0]', message: 'must be an IP address or a CIDR block' },
      { path: 'spec.endpoints[0].locality', message: 'must be "region", "region/zone" or "region/zone/subzone"' },
      { path: 'spec.endpoints[1].weight', message: 'must be at least 1' },
    ]);
  });

  it('refuses a wildcard host that DNS resolution cannot resolve', () => {
    const result = validateYaml(DNS.replace('www.googleapis.com', '"*.googleapis.com"'));
    expect(errorsOf(result)).toEqual([{ path: 'spec.hosts[1]', message: 'resolution DNS without endpoints cannot resolve a wildcard host' }]);
  });

  it('names Istio fields that are not supported yet', () => {
    expect(check((se) => (se.spec.workloadSelector = { labels: { app: 'ratings' } }))).toEqual([
      { path: 'spec.workloadSelector', message: '"workloadSelector" is an Istio field this control plane does not support yet' },
    ]);
  });
});

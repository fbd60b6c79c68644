import { describe, expect, it } from 'vitest';
import { parseManifest } from '../intent/manifest';
import { validateIntent } from '../intent/validate';
import { renderView } from '../render/render';
import { translateIntents } from './to-ir';

type Json = Record<string, any>;

function translate(yaml: string) {
  const parsed = parseManifest(yaml, 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return translateIntents(parsed.documents.map((doc) => {
    const v = validateIntent(doc);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  }));
}

const gateway = (name: string, servers: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: gw}
spec:
  selector: {istio: edge}
  servers:
${servers}
---
`;

const DB = (gateways = '[a]') => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: gw}
spec:
  hosts: [a.example.com, b.example.com]
  resolution: STATIC
  ports: [{number: 5432, name: tls, protocol: TLS}]
  endpoints: [{address: 10.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: gw}
spec:
  hosts: [a.example.com, b.example.com]
  gateways: ${gateways}
  tls:
  - match: [{sniHosts: [a.example.com, b.example.com]}]
    route: [{destination: {host: a.example.com}}]
`;

const chainsOf = (listener: Json) => listener.filter_chains.map((c: Json) => ({ sni: c.filter_chain_match?.server_names ?? [], terminates: 'transport_socket' in c }));

describe('gateway filter chains', () => {
  it('keeps a terminating server’s SNI host over a passthrough route for it, with a warning, whatever the server order', () => {
    const { ir, errors, warnings } = translate(gateway('a', `  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}`) + DB());
    expect(errors).toEqual([]);
    expect(warnings).toContainEqual({ source: 'VirtualService/gw/db', path: 'spec.tls[0].match[0].sniHosts', message: 'SNI a.example.com on port 443 of Gateway gw/a is already taken by another server or route; ignored here' });
    const [listener] = renderView(ir, { client: 'envoy', gateways: ['gw/a'] }, { mode: 'ads' }).types.listeners.resources.values();
    expect(chainsOf(listener!.json)).toEqual([{ sni: ['a.example.com'], terminates: true }, { sni: ['b.example.com'], terminates: false }]);
  });

  it('merges the TLS ports of several gateways on one proxy: the first by name keeps an SNI host, and plain HTTP keeps its port', () => {
    const { ir } = translate(
      gateway('a', `  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [b.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 8443, name: tls-alt, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}`) +
        gateway('b', `  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: wild}
  - port: {number: 8443, name: http, protocol: HTTP}
    hosts: ["*"]`) +
        DB('[a, b]'),
    );
    const snapshot = renderView(ir, { client: 'envoy', gateways: ['gw/a', 'gw/b'] }, { mode: 'ads' });
    const listeners = new Map([...snapshot.types.listeners.resources.values()].map((r) => [r.name, r.json as Json]));
    expect(chainsOf(listeners.get('0.0.0.0_443')!)).toEqual([{ sni: ['b.example.com'], terminates: false }, { sni: ['*.example.com'], terminates: true }]);
    expect(listeners.get('0.0.0.0_8443')!.filter_chains[0].filters[0].name).toBe('envoy.filters.network.http_connection_manager');
    expect(listeners.get('0.0.0.0_8443')!.filter_chains[0].transport_socket).toBeUndefined();
  });

  it('gives a TCP server no listener when no bound VirtualService routes its port, and says so', () => {
    const { ir, warnings } = translate(gateway('a', `  - port: {number: 3306, name: mysql, protocol: TCP}
    hosts: ["*"]`) + DB());
    expect(ir.gateways[0]!.chainPorts).toBeUndefined();
    expect(warnings).toContainEqual({ source: 'Gateway/gw/a', path: 'spec.servers[0]', message: 'no VirtualService bound to this gateway has a tcp route for port 3306: the port gets no listener' });
  });
});

import { describe, expect, it } from 'vitest';
import type { IntentObject } from '../intent/types';
import { validateIntent } from '../intent/validate';
import { translateIntents } from './to-ir';

const entry = (name: string, host: string, port = 443, protocol = 'TLS') => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: 'shop' },
  spec: { hosts: [host], resolution: 'STATIC', ports: [{ number: port, name: 'p', protocol }], endpoints: [{ address: '10.0.0.1' }] },
});
const tlsService = (name: string, hosts: string[], sniHosts: string[], to: string, port?: number) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'shop' },
  spec: { hosts, tls: [{ match: [{ sniHosts, ...(port ? { port } : {}) }], route: [{ destination: { host: to } }] }] },
});

function translate(docs: unknown[]) {
  const objects = docs.map((d) => {
    const v = validateIntent(d);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  }) as IntentObject[];
  return translateIntents(objects);
}

describe('mesh tls routes', () => {
  it('routes each SNI host of a TLS port to its tls route, or by default to its own cluster', () => {
    const { ir, errors, warnings } = translate([entry('a', 'a.example.com'), entry('b', 'b.example.com'), tlsService('a', ['a.example.com'], ['a.example.com'], 'b.example.com')]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(ir.meshPorts).toEqual([
      {
        port: 443,
        kind: 'tls',
        chains: [
          { serverNames: ['a.example.com'], hosts: ['a.example.com'], route: { destinations: [{ cluster: 'outbound|443||b.example.com', weight: 1 }], source: 'VirtualService/shop/a', path: 'spec.tls[0].match[0]' } },
          { serverNames: ['b.example.com'], hosts: ['b.example.com'], route: { destinations: [{ cluster: 'outbound|443||b.example.com', weight: 1 }], source: 'ServiceEntry/shop/b', path: 'spec.ports' } },
        ],
      },
    ]);
  });

  it('keeps an SNI host claimed twice on a port with the first VirtualService by name, and reports the other', () => {
    const { ir, warnings } = translate([
      entry('a', 'a.example.com'),
      entry('b', 'b.example.com'),
      tlsService('a', ['a.example.com'], ['a.example.com'], 'a.example.com'),
      tlsService('b', ['*.example.com'], ['a.example.com', 'b.example.com'], 'b.example.com'),
    ]);
    const port = ir.meshPorts[0]!;
    expect(port.kind === 'tls' && port.chains.map((c) => [c.serverNames, c.route.source])).toEqual([
      [['a.example.com'], 'VirtualService/shop/a'],
      [['b.example.com'], 'VirtualService/shop/b'],
    ]);
    expect(warnings).toContainEqual({ source: 'VirtualService/shop/b', path: 'spec.tls[0].match[0].sniHosts', message: 'SNI a.example.com on mesh port 443 is already routed by VirtualService/shop/a spec.tls[0].match[0]; ignored here' });
  });

  it('reports a tls match whose port is no TLS port of its hosts, and leaves the port to the default chain', () => {
    const { ir, warnings } = translate([entry('a', 'a.example.com'), tlsService('a', ['a.example.com'], ['a.example.com'], 'a.example.com', 8443)]);
    expect(warnings).toEqual([
      { source: 'VirtualService/shop/a', path: 'spec.tls[0].match[0].port', message: "port 8443 applies at no mesh listener (its hosts' TLS and HTTPS ports: 443)" },
    ]);
    const port = ir.meshPorts[0]!;
    expect(port.kind === 'tls' && port.chains.map((c) => c.route.source)).toEqual(['ServiceEntry/shop/a']);
  });

  it('reports tls routes for hosts without any TLS port', () => {
    const { warnings } = translate([entry('a', 'a.example.com', 9000, 'TCP'), tlsService('a', ['a.example.com'], ['a.example.com'], 'a.example.com')]);
    expect(warnings).toEqual([
      { source: 'VirtualService/shop/a', path: 'spec.tls[0].match[0]', message: 'this match applies at no mesh listener (its hosts have no TLS or HTTPS port)' },
    ]);
  });
});

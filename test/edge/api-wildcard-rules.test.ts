import { describe, expect, it } from 'vitest';
import { apply, callJson, poll } from './helpers';

const se = (name: string, ns: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.9.0.1}]
`;
// As Istio's tasks write a mesh-wide rule: in the root namespace, host "*.local".
const MESH_WIDE = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mesh-default, namespace: istio-system}
spec:
  host: "*.local"
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`;

const lbOf = async (host: string) => {
  const cds = await poll('clusters');
  const c = cds.body!.resources.find((r) => r.name === `outbound|8080||${host}`);
  return c ? (c.lb_policy ?? 'ROUND_ROBIN') : undefined;
};

describe('wildcard DestinationRule hosts', () => {
  it('apply a mesh-wide policy to every matching host, new ones too, until a host has its own rule or the rule goes', async () => {
    expect((await apply(se('alpha', 'wild') + '---' + MESH_WIDE)).status).toBe(201);
    expect(await lbOf('alpha.wild.svc.cluster.local')).toBe('LEAST_REQUEST');

    // A host declared later takes the rule as well (the write compiles the whole config: the rule reaches it).
    expect((await apply(se('beta', 'wild'))).status).toBe(201);
    expect(await lbOf('beta.wild.svc.cluster.local')).toBe('LEAST_REQUEST');

    // Its own rule is more specific than any wildcard.
    const own = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: beta, namespace: wild}
spec: {host: beta, trafficPolicy: {loadBalancer: {simple: RANDOM}}}
`;
    expect((await apply(own)).status).toBe(201);
    expect(await lbOf('beta.wild.svc.cluster.local')).toBe('RANDOM');
    expect(await lbOf('alpha.wild.svc.cluster.local')).toBe('LEAST_REQUEST');

    // A second rule for the same pattern in the same namespace merges with it as in Istio, but a second
    // top-level trafficPolicy (Istio keeps the oldest's) is refused, naming the field; nothing stored.
    const twin = MESH_WIDE.replace('name: mesh-default', 'name: twin');
    const refused = await apply(twin);
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0]).toMatchObject({ object: 'DestinationRule/istio-system/twin', path: 'spec.trafficPolicy', message: expect.stringContaining('already sets the top-level trafficPolicy') });

    expect((await callJson('DELETE', '/api/v1/namespaces/istio-system/destinationrules/mesh-default')).status).toBe(200);
    expect(await lbOf('alpha.wild.svc.cluster.local')).toBe('ROUND_ROBIN');
    expect(await lbOf('beta.wild.svc.cluster.local')).toBe('RANDOM');
  });
});

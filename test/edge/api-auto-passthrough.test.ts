import { describe, expect, it } from 'vitest';
import { apply, envoy, envoyNode, poll } from './helpers';

// An east-west gateway (Istio's samples/multicluster/expose-services.yaml) over the API: its chains follow
// the mesh-internal services it admits, also when one is added later by a one-object write.
const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cross-network-gateway, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    tls: {mode: AUTO_PASSTHROUGH}
    hosts: ["*.local"]
`;
const service = (name: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ew}
spec:
  hosts: [${name}.ew.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.7.0.1}]
`;
const gatewayNode = envoyNode('eastwest-1', { istio: 'eastwestgateway' });

async function chains(): Promise<string[]> {
  const lds = await poll('listeners', { node: gatewayNode });
  expect(lds.status).toBe(200);
  for (const r of lds.body!.resources) envoy().decodeStrict(r);
  const listener = lds.body!.resources.find((l) => l.name === '0.0.0.0_15443');
  return (listener?.filter_chains ?? []).map((c: any) => c.filter_chain_match.server_names[0]);
}

describe('Gateway AUTO_PASSTHROUGH over the API', () => {
  it('routes each service SNI to a TLS-free copy of its cluster, and takes in a service added later', async () => {
    expect((await apply(`${GATEWAY}---${service('alpha')}`)).status).toBe(201);
    expect(await chains()).toEqual(['outbound_.9080_._.alpha.ew.svc.cluster.local']);
    const cds = await poll('clusters', { node: gatewayNode });
    for (const r of cds.body!.resources) envoy().decodeStrict(r);
    const copy = cds.body!.resources.find((c) => c.name === 'outbound_.9080_._.alpha.ew.svc.cluster.local');
    expect(copy).toMatchObject({ type: 'STATIC', load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.7.0.1', port_value: 9080 } } } }] }] } });
    expect(copy!.transport_socket).toBeUndefined();

    // A one-object write: the gateway's view gets the new service's chain (a full compile, as the feature asks).
    expect((await apply(service('beta'))).status).toBe(201);
    expect(await chains()).toEqual(['outbound_.9080_._.alpha.ew.svc.cluster.local', 'outbound_.9080_._.beta.ew.svc.cluster.local']);
    // Mesh proxies get none of it.
    const mesh = await poll('clusters');
    expect(mesh.body!.resources.some((c) => c.name.startsWith('outbound_.'))).toBe(false);
  });

  it('refuses AUTO_PASSTHROUGH on a port that is not TLS, and certificates beside it, naming the field', async () => {
    const https = GATEWAY.replace('protocol: TLS', 'protocol: HTTPS').replace('cross-network-gateway', 'bad-ew');
    const res = await apply(https);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ path: expect.stringContaining('spec.servers[0].tls.mode'), message: expect.stringContaining('AUTO_PASSTHROUGH needs port protocol TLS') }));
    const certs = await apply(GATEWAY.replace('{mode: AUTO_PASSTHROUGH}', '{mode: AUTO_PASSTHROUGH, credentialName: ew-cert}').replace('cross-network-gateway', 'bad-ew2'));
    expect(certs.status).toBe(400);
    expect(certs.body.errors).toContainEqual(expect.objectContaining({ path: expect.stringContaining('tls.credentialName'), message: expect.stringContaining('AUTO_PASSTHROUGH forwards TLS without terminating it') }));
  });
});

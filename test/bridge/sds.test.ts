import { create, fromBinary, toBinary, toJson, type DescMessage } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { buildEnvoySecret, nodeClassOf, RESOURCE_TYPES, SECRET_TYPE_URL } from '../../xds';
import { startTestBridge } from '../support/ads-protocol-fixtures';
import { envoyProtos, viewSource } from '../support/bridge-fixtures';
import { CA_CERT, RSA_CERT, RSA_KEY_PKCS1 } from '../support/tls-fixtures';

const MESH = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bank, namespace: shop}
spec:
  hosts: [bank.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bank, namespace: shop}
spec:
  host: bank.example.com
  trafficPolicy: {tls: {mode: MUTUAL, credentialName: bank-client}}
`;
const MATERIAL = { 'tls.crt': RSA_CERT, 'tls.key': RSA_KEY_PKCS1, 'ca.crt': CA_CERT };
const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const raw = (b: Buffer) => b;

/** Puts the mesh view, with its two secrets as the edge sends them to a bridge allowed to read them, into the bridge. */
async function startWithSecrets() {
  const b = await startTestBridge();
  const source = await viewSource(MESH, 'envoy|mesh');
  const secrets = [buildEnvoySecret('kubernetes://bank-client', 'certificate', MATERIAL)!, buildEnvoySecret('kubernetes://bank-client-cacert', 'ca', MATERIAL)!];
  source.types[SECRET_TYPE_URL] = { version: 'secrets-1', resources: secrets };
  const nodeClass = nodeClassOf({ id: '', userAgentName: 'envoy', labels: {} });
  b.store.restoreClasses([{ nodeClass, view: 'envoy|mesh' }]);
  const snapshot = new SnapshotEncoder(envoyProtos()).encodeView('envoy|mesh', source, 1, Date.now());
  b.store.apply({ revision: 1, classViews: new Map([[nodeClass.key, 'envoy|mesh']]), snapshots: new Map([['envoy|mesh', snapshot]]) });
  return b;
}

/** A bare ADS stream: requests built from Envoy's DiscoveryRequest descriptors, responses decoded strictly. */
function stream(port: number, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(`${SERVICE}/${method}`, raw, raw);
  const received: Record<string, any>[] = [];
  const waiters: (() => void)[] = [];
  const p = envoyProtos();
  const desc = method === 'StreamAggregatedResources' ? p.discoveryResponse : p.deltaDiscoveryResponse;
  call.on('data', (bytes: Buffer) => {
    received.push(toJson(desc, fromBinary(desc, bytes), { registry: p.envoy.registry, useProtoFieldName: true }) as Record<string, any>);
    waiters.splice(0).forEach((w) => w());
  });
  call.on('error', () => {});
  const send = (d: DescMessage, init: Record<string, unknown>) => call.write(Buffer.from(toBinary(d, create(d, init as never))));
  return {
    received,
    send: (init: Record<string, unknown>) => send(method === 'StreamAggregatedResources' ? p.discoveryRequest : p.deltaDiscoveryRequest, init),
    async next(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < deadline) await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 50)));
      return received.slice(0, count);
    },
    close: () => (call.cancel(), client.close()),
  };
}

/** The Any as the bridge encoded it (decoded above through Envoy's protos), read back strictly: unknown fields or wrong types throw. */
function decodeSecret(any: Record<string, any>) {
  expect(any['@type']).toBe(SECRET_TYPE_URL);
  envoyProtos().envoy.decodeStrict(any);
  return any;
}

const open: { streams: { close(): void }[]; servers: AdsServer[] } = { streams: [], servers: [] };
afterEach(async () => {
  open.streams.splice(0).forEach((s) => s.close());
  await Promise.all(open.servers.splice(0).map((s) => s.drain(100)));
});

describe('the bridge serves SDS over ADS', () => {
  it('state of the world: the requested Secret, after clusters and before listeners, with the key inline', async () => {
    const b = await startWithSecrets();
    open.servers.push(b.ads);
    const s = stream(b.ads.port, 'StreamAggregatedResources');
    open.streams.push(s);
    const node = { id: 'gw-1', userAgentName: 'envoy', metadata: { labels: {} } };
    s.send({ node, typeUrl: RESOURCE_TYPES.clusters });
    s.send({ typeUrl: SECRET_TYPE_URL, resourceNames: ['kubernetes://bank-client'] });
    s.send({ typeUrl: RESOURCE_TYPES.listeners });
    // One response in flight: ACK each as it comes, as Envoy does.
    for (let i = 1; i <= 3; i++) {
      const [last] = (await s.next(i)).slice(-1);
      s.send({ typeUrl: last!.type_url, versionInfo: last!.version_info, responseNonce: last!.nonce, ...(last!.type_url === SECRET_TYPE_URL ? { resourceNames: ['kubernetes://bank-client'] } : {}) });
    }
    const responses = await s.next(3);
    expect(responses.map((r) => r.type_url)).toEqual([RESOURCE_TYPES.clusters, SECRET_TYPE_URL, RESOURCE_TYPES.listeners]);
    const sds = responses[1]!;
    expect(sds.resources).toHaveLength(1);
    const secret = decodeSecret(sds.resources[0]);
    expect(secret.name).toBe('kubernetes://bank-client');
    expect(Buffer.from(secret.tls_certificate.private_key.inline_bytes, 'base64').toString()).toBe(RSA_KEY_PKCS1);
    expect(Buffer.from(secret.tls_certificate.certificate_chain.inline_bytes, 'base64').toString()).toBe(RSA_CERT);
  });

  it('delta: subscribing to the CA name sends exactly that Secret', async () => {
    const b = await startWithSecrets();
    open.servers.push(b.ads);
    const s = stream(b.ads.port, 'DeltaAggregatedResources');
    open.streams.push(s);
    s.send({ node: { id: 'gw-2', userAgentName: 'envoy' }, typeUrl: SECRET_TYPE_URL, resourceNamesSubscribe: ['kubernetes://bank-client-cacert'] });
    const [r] = await s.next(1);
    expect(r!.type_url).toBe(SECRET_TYPE_URL);
    expect(r!.resources.map((x: any) => x.name)).toEqual(['kubernetes://bank-client-cacert']);
    const secret = decodeSecret(r!.resources[0].resource);
    expect(Buffer.from(secret.validation_context.trusted_ca.inline_bytes, 'base64').toString()).toBe(CA_CERT);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import { envoyProtos, publish, startEcho, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { split } from '../support/echo-traffic';

// Preview routes through the bridge to the real proxyless gRPC client (grpc-js-xds): with weights
// 100/0 a pipeline reaches the candidate v2 by header or by the derived host, and nobody else does.
const HOST = 'canary.test.svc.cluster.local';

const config = (v1: EchoBackend, v2: EchoBackend) =>
  echoMesh({ host: HOST, namespace: 'test', endpoints: { v1: v1.port, v2: v2.port }, weights: { v1: 100, v2: 0 }, annotations: { 'xdsflare.dev/preview': 'header,host' } });

describe('preview routes through the bridge, with the real proxyless gRPC client', () => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
  let ads: AdsServer;
  let v1: EchoBackend;
  let v2: EchoBackend;
  const clients: { close(): void }[] = [];
  const client = async (target: string, id: string) => {
    const c = await xdsEchoClient(ads.port, target, id);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [v1, v2] = (await Promise.all(['v1', 'v2'].map(startEcho))) as [EchoBackend, EchoBackend];
    await publish(store, encoder, config(v1, v2), 1);
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ads?.drain(100);
    await Promise.all([v1, v2].map((e) => e?.stop()));
  });

  it('sends calls carrying x-route-to: v2 to v2 while every other call stays on v1 (weights 100/0)', async () => {
    const c = await client(`${HOST}:7070`, 'preview-header');
    expect(await split(() => c.call(5000, { 'x-route-to': 'v2' }), 50)).toEqual({ v2: 50 });
    expect(await split(() => c.call(), 50)).toEqual({ v1: 50 });
    expect(await split(() => c.call(5000, { 'x-route-to': 'v3' }), 20)).toEqual({ v1: 20 });
    expect(await split(() => c.call(5000, { 'x-route-to': 'v1' }), 20)).toEqual({ v1: 20 });
  });

  it('lands every call of a client dialing the derived host v2---<host>:<port> on v2', async () => {
    const c = await client(`v2---${HOST}:7070`, 'preview-host');
    expect(await split(() => c.call(), 50)).toEqual({ v2: 50 });
    const plain = await client(HOST, 'preview-plain');
    expect(await split(() => plain.call(), 20)).toEqual({ v1: 20 });
  });
});

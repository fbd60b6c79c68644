import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdsServer, type AdsServer } from '../../gateway/ads/ads-server';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import { SnapshotStore } from '../../gateway/snapshot/store';
import { envoyProtos, publish, startEcho, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { split } from '../support/echo-traffic';
import { GRPC_CLIENTS } from '../support/grpc-clients';

const HOST = 'echo.test.svc.cluster.local';
const config = (v1: EchoBackend, v2: EchoBackend, [w1, w2]: [number, number]) =>
  echoMesh({ host: HOST, namespace: 'test', endpoints: { v1: v1.port, v2: v2.port }, weights: { v1: w1, v2: w2 } });

describe.each(GRPC_CLIENTS)('the bridge serving a proxyless $name client (in-process store)', (client_) => {
  const encoder = new SnapshotEncoder(envoyProtos());
  const store = new SnapshotStore((base, profile) => encoder.adaptView(base, profile));
  let ads: AdsServer;
  let v1: EchoBackend;
  let v2: EchoBackend;

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startEcho('v1'), startEcho('v2')]);
    await publish(store, encoder, config(v1, v2, [80, 20]), 1);
    ads = await startAdsServer('127.0.0.1:0', { protos: envoyProtos(), store, controlPlane: 'test-bridge' });
  });
  afterAll(async () => {
    await ads?.drain(100);
    await Promise.all([v1?.stop(), v2?.stop()]);
  });

  it('splits calls 80/20 and follows a weight change without restarting', async () => {
    const client = await client_.connect(ads.port, `${HOST}:7070`, 'split-client');
    try {
      const first = await split(client.call, 1000);
      expect(first.v1! / 1000).toBeGreaterThan(0.75);
      expect(first.v1! / 1000).toBeLessThan(0.85);
      await publish(store, encoder, config(v1, v2, [20, 80]), 2);
      const deadline = Date.now() + 5000;
      let after = await split(client.call, 200);
      while ((after.v2 ?? 0) < 120 && Date.now() < deadline) after = await split(client.call, 200);
      expect((after.v2 ?? 0) / 200).toBeGreaterThan(0.65);
    } finally {
      client.close();
    }
  });
});

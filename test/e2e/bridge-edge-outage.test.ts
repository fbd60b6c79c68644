import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../gateway/bridge';
import { loadBridgeConfig } from '../../gateway/config';
import { createLogger } from '../../gateway/ops/logger';
import { startEcho, xdsEchoClient, type EchoBackend } from '../support/bridge-fixtures';
import { echoMesh } from '../support/echo-mesh';
import { continuousCalls, eventually, sleep, split } from '../support/echo-traffic';
import { startEdge, type RunningEdge } from '../support/start-server';

// The edge process goes away while gRPC clients call through the bridge; the bridge keeps serving
// its last good snapshot, survives its own restart from the state file, and picks up the next
// change when the edge is back.
const HOST = 'echo.outage.svc.cluster.local';
const root = join(import.meta.dirname, '..', '..');
const PORT = 8793;

const manifest = (v1: number, v2: number, w1: number, w2: number) =>
  echoMesh({ host: HOST, namespace: 'outage', endpoints: { v1, v2 }, weights: { v1: w1, v2: w2 } });

describe('an edge outage seen from the bridge', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'xdsflare-outage-'));
  const stateFile = join(stateDir, 'bridge', 'snapshot.json');
  let edge: RunningEdge | undefined;
  let token: string;
  let v1: EchoBackend;
  let v2: EchoBackend;
  const bridges: Bridge[] = [];

  const startOurBridge = () =>
    startBridge({
      config: loadBridgeConfig([], {
        XDSFLARE_EDGE_URL: `http://127.0.0.1:${PORT}`,
        XDSFLARE_TOKEN: token,
        XDSFLARE_ADS_ADDRESS: '127.0.0.1:0',
        XDSFLARE_ADS_ALLOW_PLAINTEXT: 'true',
        XDSFLARE_OPS_ADDRESS: '127.0.0.1:0',
        XDSFLARE_STATE_FILE: stateFile,
        XDSFLARE_POLL_INTERVAL_MS: '300',
        XDSFLARE_BACKOFF_MAX_MS: '1000',
        XDSFLARE_REQUEST_TIMEOUT_MS: '1000',
        XDSFLARE_BRIDGE_ID: `outage-${bridges.length}`,
        XDSFLARE_LOG_LEVEL: 'error',
      }),
      logger: createLogger({ level: 'error' }),
      descriptorsPath: join(root, 'build', 'envoy-descriptors.binpb'),
    }).then((b) => (bridges.push(b), b));

  const apply = async (yaml: string) => {
    const res = await fetch(`${edge!.base}/api/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }, body: yaml });
    expect(res.ok).toBe(true);
  };

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startEcho('v1'), startEcho('v2')]);
    edge = await startEdge(PORT, { stateDir, env: { XDSFLARE_NO_BRIDGE: '1' } });
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
  }, 120_000);
  afterAll(async () => {
    for (const b of bridges) await b.stop().catch(() => {});
    await edge?.stop();
    await Promise.all([v1?.stop(), v2?.stop()]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps every call working while the edge is down, restarts from its state file, and takes the next change when the edge returns', async () => {
    await apply(manifest(v1.port, v2.port, 100, 0));
    const bridge = await startOurBridge();
    const client = await xdsEchoClient(bridge.adsPort, `${HOST}:7070`, 'outage-client');
    try {
      await eventually(async () => ((await split(client.call, 10)).v1 === 10 ? true : undefined), 10_000);
      const traffic = continuousCalls(client.call, 2);

      await edge!.stop();
      edge = undefined;
      await sleep(3000); // several failed polls and backoffs
      expect(await fetch(`http://127.0.0.1:${bridge.opsPort}/readyz`).then((r) => r.status)).toBe(200);
      const metrics = await fetch(`http://127.0.0.1:${bridge.opsPort}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/xdsflare_bridge_stale_serving 1/);

      // A second bridge started during the outage serves what the first one saved.
      const restarted = await startOurBridge();
      const late = await xdsEchoClient(restarted.adsPort, `${HOST}:7070`, 'outage-late-client');
      try {
        expect(await split(late.call, 10)).toEqual({ v1: 10 });
      } finally {
        late.close();
      }

      edge = await startEdge(PORT, { stateDir, env: { XDSFLARE_NO_BRIDGE: '1' } });
      await apply(manifest(v1.port, v2.port, 0, 100));
      const changed = await eventually(async () => ((await split(client.call, 10)).v2 === 10 ? true : undefined), 15_000, 200);
      expect(changed).toBe(true);
      await traffic.stop();
      console.log(`edge outage: ${traffic.total} calls, ${traffic.failures.length} failed`);
      expect(traffic.total).toBeGreaterThan(100);
      expect(traffic.failures).toEqual([]);
    } finally {
      client.close();
    }
  }, 180_000);
});

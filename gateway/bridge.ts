import { startAdsServer, type AdsServer } from './ads/ads-server';
import { authenticateCall } from './auth/authenticate-call';
import { adsServerCredentials } from './auth/server-credentials';
import { TokenIdentities } from './auth/token-identities';
import type { StreamObserver } from './ads/stream-types';
import type { BridgeConfig } from './config';
import { createBridgeMetrics, type BridgeMetrics } from './ops/metrics';
import { startOpsServer, type OpsServer } from './ops/ops-server';
import type { Logger } from './ops/logger';
import { loadEnvoyProtos } from './protos/envoy-protos';
import { SnapshotEncoder } from './snapshot/encoder';
import { SnapshotStore } from './snapshot/store';
import { StatusReporter } from './status/status-reporter';
import { EdgeClient } from './upstream/edge-client';

export interface BridgeOptions {
  config: BridgeConfig;
  logger: Logger;
  /** Envoy's FileDescriptorSet (build/envoy-descriptors.binpb). */
  descriptorsPath: string;
  fetch?: typeof fetch;
  /** Overrides for tests: how long to wait for ACKs and EDS subscriptions. */
  ackTimeoutMs?: number;
  edsSubscribeWaitMs?: number;
}

export interface Bridge {
  adsPort: number;
  opsPort: number;
  store: SnapshotStore;
  metrics: BridgeMetrics;
  edge: EdgeClient;
  ads: AdsServer;
  reporter: StatusReporter;
  /** Graceful drain: not ready, streams ended (clients reconnect elsewhere), last status flushed. */
  stop(): Promise<void>;
}

/** Wires the bridge: edge client → snapshot store → ADS streams → status reporter, plus the ops endpoints. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { config, logger } = options;
  const protos = loadEnvoyProtos(options.descriptorsPath);
  let draining = false;
  let edge: EdgeClient | undefined;
  const metrics = createBridgeMetrics({ snapshotAgeSeconds: () => (edge?.lastSuccessAt ? (Date.now() - edge.lastSuccessAt) / 1000 : undefined) });
  const encoder = new SnapshotEncoder(protos, { onEncode: (n) => metrics.encodes.inc(n) });
  const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => logger[level](msg, fields);
  const store = new SnapshotStore((base, profile) => {
    try {
      return encoder.adaptView(base, profile);
    } catch (err) {
      // The client then gets the view as the edge sent it, and its NACK shows on /api/v1/proxies.
      log('error', 'cannot adapt a view for a gRPC client profile', { view: base.view, profile, error: err instanceof Error ? err.message : String(err) });
      return base;
    }
  });

  edge = new EdgeClient({
    edgeUrl: config.edgeUrl,
    token: config.token,
    store,
    encoder,
    pollIntervalMs: config.pollIntervalMs,
    pollJitter: config.pollJitter,
    backoffMaxMs: config.backoffMaxMs,
    requestTimeoutMs: config.requestTimeoutMs,
    stateFile: config.stateFile,
    fetch: options.fetch,
    log,
    onFetch(result, reason) {
      metrics.upstreamFetches.inc({ result });
      if (result === 'error') metrics.upstreamErrors.inc({ reason: reason ?? 'unknown' });
      metrics.staleServing.set(result === 'error' && store.revision !== undefined ? 1 : 0);
    },
  });
  const reporter = new StatusReporter({
    edgeUrl: config.edgeUrl,
    token: config.token,
    bridgeId: config.bridgeId,
    flushMs: config.statusFlushMs,
    heartbeatMs: config.heartbeatMs,
    requestTimeoutMs: config.requestTimeoutMs,
    revision: () => store.revision,
    fetch: options.fetch,
    log,
  });
  store.on('change', () => {
    if (store.revision !== undefined) metrics.snapshotRevision.set(store.revision);
    logger.info('snapshot updated', { revision: store.revision, views: [...store.views.keys()] });
  });

  const observer: StreamObserver = {
    onStatus: (node, view, type, status) => reporter.update(node, view, type, status),
    onDisconnect: (node) => reporter.disconnect(node),
    onPush: (type) => metrics.pushes.inc({ type }),
    onAck(type, seconds) {
      metrics.acks.inc({ type });
      if (seconds !== undefined) metrics.changeToAck.observe({ type }, seconds);
    },
    onNack: (type) => metrics.nacks.inc({ type }),
    onConnect: (protocol, delta) => metrics.connectedProxies.inc({ protocol }, delta),
    log: (level, msg, fields) => logger[level](msg, fields),
  };

  // Who may connect: certificates (mTLS) and tokens bound to identities; nobody else unless plaintext is allowed.
  const tokens = new TokenIdentities({ edgeUrl: config.edgeUrl, trustDomain: config.trustDomain, requestTimeoutMs: config.requestTimeoutMs, fetch: options.fetch });
  const auth = { trustDomain: config.trustDomain, tokens, allowUnauthenticated: config.adsAllowPlaintext };
  const tls = config.adsTlsCertFile ? { certFile: config.adsTlsCertFile, keyFile: config.adsTlsKeyFile!, ...(config.adsClientCaFile ? { clientCaFile: config.adsClientCaFile } : {}) } : undefined;
  if (config.adsAllowPlaintext) {
    logger.warn('ADS ALLOWS PLAINTEXT: clients without a certificate or token are served and may claim any view, Gateway private keys included (XDSFLARE_ADS_ALLOW_PLAINTEXT); use it on a trusted local network only', { ads: config.adsAddress, tls: Boolean(tls) });
  }
  const ads = await startAdsServer(config.adsAddress, {
    protos,
    store,
    controlPlane: config.bridgeId,
    observer,
    ackTimeoutMs: options.ackTimeoutMs,
    edsSubscribeWaitMs: options.edsSubscribeWaitMs,
    credentials: adsServerCredentials(tls),
    authenticate: (call) => authenticateCall(call, auth),
  });
  let ops: OpsServer;
  try {
    ops = await startOpsServer({
      address: config.opsAddress,
      registry: metrics.registry,
      logger,
      ready: () =>
        draining ? { ok: false, reason: 'draining' } : store.revision === undefined ? { ok: false, reason: `no snapshot yet${edge?.lastError ? `: ${edge.lastError}` : ''}` } : { ok: true },
    });
  } catch (err) {
    ads.server.forceShutdown();
    throw err;
  }
  reporter.start();
  await edge.start();
  logger.info('bridge started', { ads: `${config.adsAddress.replace(/:\d+$/, '')}:${ads.port}`, ops: `${config.opsAddress.replace(/:\d+$/, '')}:${ops.port}`, edge: config.edgeUrl, bridge: config.bridgeId, tls: Boolean(tls), mtls: Boolean(tls?.clientCaFile), trustDomain: config.trustDomain });

  return {
    adsPort: ads.port,
    opsPort: ops.port,
    store,
    metrics,
    edge,
    ads,
    reporter,
    async stop() {
      draining = true;
      edge!.stop();
      await ads.drain(Math.max(1000, config.drainTimeoutMs - 2000));
      await reporter.stop();
      await ops.close();
    },
  };
}

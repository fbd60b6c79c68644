// The bridge's entry point (bundled to dist/bridge.mjs): configuration from flags and XDSFLARE_*
// variables, then run until SIGTERM drains it.
import { resolve } from 'node:path';
import { AnalysisQueryRunner, queryRunnerSettings } from './analysis/query-runner';
import { startBridge } from './bridge';
import { bridgeUsage, loadBridgeConfig, wantsHelp } from './config';
import { onShutdownSignals } from './ops/drain';
import { createLogger } from './ops/logger';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(`${bridgeUsage()}\n`);
    return;
  }
  let config;
  let analysis;
  try {
    config = loadBridgeConfig(argv, process.env);
    analysis = queryRunnerSettings(process.env);
  } catch (err) {
    process.stderr.write(`xdsflare-bridge: ${err instanceof Error ? err.message : String(err)}\n\n${bridgeUsage()}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel, base: { component: 'bridge', bridge: config.bridgeId } });
  const descriptorsPath = resolve(process.env.XDSFLARE_DESCRIPTORS ?? 'build/envoy-descriptors.binpb');
  const bridge = await startBridge({ config, logger, descriptorsPath });
  // Rollout analysis for providers with from: bridge, when this bridge has a Prometheus.
  const runner = analysis && new AnalysisQueryRunner({ edgeUrl: config.edgeUrl, token: config.token, bridgeId: config.bridgeId, ...analysis, log: (level, msg, fields) => logger[level](msg, fields) });
  runner?.start();
  if (analysis) logger.info('running rollout analysis queries', { prometheus: analysis.prometheusUrl });
  onShutdownSignals(
    async (signal) => {
      logger.info('draining', { signal });
      await runner?.stop();
      await bridge.stop();
    },
    { timeoutMs: config.drainTimeoutMs, logger },
  );
}

main().catch((err) => {
  process.stderr.write(`xdsflare-bridge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

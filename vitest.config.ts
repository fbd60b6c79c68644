import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url).href);

// Envoy's descriptor set, for strict proto3-JSON decoding in tests (a no-op when up to date).
execFileSync(process.execPath, [here('./scripts/build-envoy-descriptors.mjs')], { stdio: 'inherit' });
// The web console's files: wrangler.toml's [assets] directory, which the workers pool serves too.
execFileSync(process.execPath, [here('./scripts/build-console.mjs')], { stdio: 'inherit' });

/** The edge inside workerd with a real (local) D1 and R2; `extra` bindings override settings for one project. */
const edgeWorker = (extra: Record<string, string> = {}) =>
  cloudflareTest(async () => ({
    wrangler: { configPath: here('./wrangler.toml') },
    miniflare: {
      // Envoy's protos as an ArrayBuffer binding, so workerd tests decode served resources strictly.
      dataBlobBindings: { ENVOY_DESCRIPTORS: here('./build/envoy-descriptors.binpb') },
      bindings: {
        TEST_MIGRATIONS: await readD1Migrations(here('./migrations')),
        ADMIN_TOKEN: 'test-admin-token',
        ALLOW_ANONYMOUS_XDS: 'true',
        // Test receivers listen on loopback; test/edge/api-hostile-limits turns it off to test the screen.
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        // A test-only key for TLS Secrets at rest (AES-256-GCM); production's is a Worker secret.
        SECRETS_KEY: 'emypNYxmS2qZznEJI90v87bZytrGetSNksCXf5Qd6JM=',
        // Rollout drivers' alarms stay an hour away: tests run them with runDurableObjectAlarm, deterministically.
        ROLLOUT_TICK_MS: '3600000',
        // test/edge/fuzz-*: FUZZ_SEED replays a run, FUZZ_RUNS makes it larger (test/support/fuzz-settings.ts).
        FUZZ_SEED: process.env.FUZZ_SEED ?? '',
        FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
        ...extra,
      },
    },
  }));

export default defineConfig({
  test: {
    projects: [
      {
        // Pure code (translator, schemas) and anything that talks to real processes over loopback.
        test: {
          name: 'node',
          environment: 'node',
          include: ['xds/**/*.test.ts', 'gateway/**/*.test.ts', 'cli/**/*.test.ts', 'test/{bridge,cli,docs,e2e,fuzz,golden}/**/*.test.ts'],
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The edge API inside workerd with a real (local) D1.
        plugins: [edgeWorker()],
        test: {
          name: 'worker',
          include: ['test/edge/**/*.test.ts', 'functions/**/*.test.ts'],
          exclude: ['test/edge/scale-apply.test.ts'],
          setupFiles: ['./test/edge/apply-migrations.ts'],
        },
      },
      {
        // test/edge/scale-apply: a 10,000-service mesh through the one-shot commit (commit.ts), as before
        // the batched apply; staged-apply.test covers the batches (a 10,000-service staged apply takes
        // more than 10 minutes in local workerd, too long for CI).
        plugins: [edgeWorker({ APPLY_BATCH_OBJECTS: '100000' })],
        test: { name: 'worker-scale', include: ['test/edge/scale-apply.test.ts'], setupFiles: ['./test/edge/apply-migrations.ts'] },
      },
    ],
  },
});

import type { D1Migration } from 'cloudflare:test';
import type { Env } from '../../functions/env';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      ENVOY_DESCRIPTORS: ArrayBuffer;
    }
  }
}
declare module 'cloudflare:test' {
  interface ProvidedEnv extends Env {
    TEST_MIGRATIONS: D1Migration[];
    ENVOY_DESCRIPTORS: ArrayBuffer;
  }
}

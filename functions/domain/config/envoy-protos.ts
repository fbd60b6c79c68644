import descriptors from '../../../build/envoy-descriptors.binpb';
import { createEnvoyRegistry, type EnvoyRegistry } from '../../../xds';

let cached: EnvoyRegistry | undefined;

/**
 * Envoy's protos (build/envoy-descriptors.binpb, bundled into the Worker as a Data module by the
 * `rules` entry in wrangler.toml). Parsed on first use, once per isolate: ~100 ms of CPU that every
 * later write of the isolate reuses, and that reads (xDS polls) never pay.
 */
export function envoyProtos(): EnvoyRegistry {
  cached ??= createEnvoyRegistry(new Uint8Array(descriptors));
  return cached;
}

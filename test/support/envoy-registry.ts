import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEnvoyRegistry, type EnvoyRegistry } from '../../xds/envoy/proto-json';

let cached: EnvoyRegistry | undefined;

/** Envoy's protos (build/envoy-descriptors.binpb, made by `npm run build:protos`) for strict decoding in Node tests. */
export function envoyRegistry(): EnvoyRegistry {
  cached ??= createEnvoyRegistry(readFileSync(join(import.meta.dirname, '..', '..', 'build', 'envoy-descriptors.binpb')));
  return cached;
}

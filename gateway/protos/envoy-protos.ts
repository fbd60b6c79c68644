import { readFileSync } from 'node:fs';
import type { DescMessage } from '@bufbuild/protobuf';
import { createEnvoyRegistry, type EnvoyRegistry } from '../../xds';

/** Envoy's protos as the bridge needs them: resource encoding plus the discovery service's messages. */
export interface EnvoyProtos {
  envoy: EnvoyRegistry;
  discoveryRequest: DescMessage;
  discoveryResponse: DescMessage;
  deltaDiscoveryRequest: DescMessage;
  deltaDiscoveryResponse: DescMessage;
  resource: DescMessage;
  node: DescMessage;
}

const DISCOVERY = 'envoy.service.discovery.v3';

function message(envoy: EnvoyRegistry, name: string): DescMessage {
  const desc = envoy.registry.getMessage(name);
  if (!desc) throw new Error(`Envoy's descriptor set has no ${name}; rebuild it with npm run build:protos`);
  return desc;
}

/** Loads the FileDescriptorSet made by scripts/build-envoy-descriptors.mjs (from Envoy's own protos). */
export function loadEnvoyProtos(descriptorSetPath: string): EnvoyProtos {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(descriptorSetPath);
  } catch (err) {
    throw new Error(`cannot read Envoy's descriptor set at ${descriptorSetPath} (set XDSFLARE_DESCRIPTORS, or run npm run build:protos): ${String(err)}`);
  }
  const envoy = createEnvoyRegistry(bytes);
  return {
    envoy,
    discoveryRequest: message(envoy, `${DISCOVERY}.DiscoveryRequest`),
    discoveryResponse: message(envoy, `${DISCOVERY}.DiscoveryResponse`),
    deltaDiscoveryRequest: message(envoy, `${DISCOVERY}.DeltaDiscoveryRequest`),
    deltaDiscoveryResponse: message(envoy, `${DISCOVERY}.DeltaDiscoveryResponse`),
    resource: message(envoy, `${DISCOVERY}.Resource`),
    node: message(envoy, 'envoy.config.core.v3.Node'),
  };
}

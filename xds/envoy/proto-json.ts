import { createFileRegistry, fromBinary, fromJson, toBinary, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

/** Envoy's protos loaded from a FileDescriptorSet: strict proto3-JSON decoding and binary Anys. */
export interface EnvoyRegistry {
  registry: Registry;
  /** Decodes a resource (with `@type`) strictly: unknown fields and wrong types throw, naming the field. */
  decodeStrict(json: Record<string, unknown>): void;
  /** proto3 JSON (with `@type`) → a binary google.protobuf.Any, as gRPC xDS sends resources. */
  toBinaryAny(json: Record<string, unknown>): { typeUrl: string; value: Uint8Array };
}

const PREFIX = 'type.googleapis.com/';

export function createEnvoyRegistry(descriptorSetBytes: Uint8Array): EnvoyRegistry {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSetBytes));
  const parseAny = (json: Record<string, unknown>) => {
    const typeUrl = json['@type'];
    if (typeof typeUrl !== 'string' || !typeUrl.startsWith(PREFIX)) throw new Error(`resource has no "@type" (got ${JSON.stringify(typeUrl)})`);
    const desc = registry.getMessage(typeUrl.slice(PREFIX.length));
    if (!desc) throw new Error(`unknown type ${typeUrl}`);
    const { '@type': _, ...fields } = json;
    // Strict: unknown fields are errors; nested Anys resolve through the same registry.
    const message = fromJson(desc, fields as never, { registry, ignoreUnknownFields: false });
    return { typeUrl, desc, message };
  };
  return {
    registry,
    decodeStrict(json) {
      parseAny(json);
    },
    toBinaryAny(json) {
      const { typeUrl, desc, message } = parseAny(json);
      return { typeUrl, value: toBinary(desc, message) };
    },
  };
}

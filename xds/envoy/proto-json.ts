import { createFileRegistry, fromBinary, toBinary, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { decodeResource } from './decode';
import { createRuleValidator, type Violation } from './validate-rules';

/** Envoy's protos loaded from a FileDescriptorSet: strict proto3-JSON decoding, binary Anys and PGV rules. */
export interface EnvoyRegistry {
  registry: Registry;
  /** Decodes a resource (with `@type`) strictly: unknown fields and wrong types throw, naming the field. */
  decodeStrict(json: Record<string, unknown>): void;
  /** proto3 JSON (with `@type`) → a binary google.protobuf.Any, as gRPC xDS sends resources. */
  toBinaryAny(json: Record<string, unknown>): { typeUrl: string; value: Uint8Array };
  /** The protoc-gen-validate rules a resource breaks (Envoy NACKs a response holding any); empty when it is acceptable. */
  validate(json: Record<string, unknown>): Violation[];
}

export function createEnvoyRegistry(descriptorSetBytes: Uint8Array): EnvoyRegistry {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSetBytes));
  const validator = createRuleValidator(registry);
  return {
    registry,
    decodeStrict(json) {
      decodeResource(registry, json);
    },
    toBinaryAny(json) {
      const { typeUrl, desc, message } = decodeResource(registry, json);
      return { typeUrl, value: toBinary(desc, message) };
    },
    validate(json) {
      return validator.validate(json);
    },
  };
}

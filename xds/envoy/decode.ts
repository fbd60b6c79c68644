import { fromJson, type DescMessage, type Message, type Registry } from '@bufbuild/protobuf';

const PREFIX = 'type.googleapis.com/';

export interface DecodedResource {
  typeUrl: string;
  desc: DescMessage;
  message: Message;
}

/**
 * Decodes a resource's proto3 JSON (with `@type`) strictly: unknown fields and wrong types throw,
 * naming the field; nested Anys resolve through the same registry.
 */
export function decodeResource(registry: Registry, json: Record<string, unknown>): DecodedResource {
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string' || !typeUrl.startsWith(PREFIX)) throw new Error(`resource has no "@type" (got ${JSON.stringify(typeUrl)})`);
  const desc = registry.getMessage(typeUrl.slice(PREFIX.length));
  if (!desc) throw new Error(`unknown type ${typeUrl}`);
  const { '@type': _, ...fields } = json;
  const message = fromJson(desc, fields as never, { registry, ignoreUnknownFields: false });
  return { typeUrl, desc, message };
}

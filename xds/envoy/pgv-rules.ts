import { getOption, hasOption, toJson, type DescExtension, type DescField, type DescMessage, type DescOneof, type Registry } from '@bufbuild/protobuf';

/**
 * protoc-gen-validate's rules as read from Envoy's descriptors: `(validate.rules)` on fields,
 * `(validate.required)` on oneofs, `(validate.disabled)` on messages. Rules are turned into plain
 * proto3 JSON with proto field names (`{string: {min_len: "1"}}`) once per field and cached.
 */
export type FieldRules = Record<string, Record<string, unknown>>;

const NUMERIC = ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'];
export const NUMERIC_KINDS = ['float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64'];

/** Every rule the validator checks, as `kind.rule` (PGV's FieldRules field, then the rule's field). */
export const SUPPORTED_RULES: ReadonlySet<string> = new Set([
  ...NUMERIC_KINDS.flatMap((k) => NUMERIC.map((r) => `${k}.${r}`)),
  'bool.const',
  ...['const', 'len', 'min_len', 'max_len', 'len_bytes', 'min_bytes', 'max_bytes', 'pattern', 'prefix', 'suffix', 'contains', 'not_contains', 'in', 'not_in', 'well_known_regex', 'strict', 'ignore_empty'].map((r) => `string.${r}`),
  'bytes.len', 'bytes.min_len', 'bytes.max_len',
  'enum.const', 'enum.defined_only', 'enum.in', 'enum.not_in',
  'message.required', 'message.skip',
  'repeated.min_items', 'repeated.max_items', 'repeated.unique', 'repeated.items',
  'map.min_pairs', 'map.max_pairs', 'map.keys', 'map.values',
  'any.required', 'any.in', 'any.not_in',
  ...['required', ...NUMERIC].map((r) => `duration.${r}`),
]);

/**
 * Rules PGV defines that the validator does not check. None of them appears in Envoy's v3 protos
 * (validate-rules.test.ts asserts that), so skipping them cannot let an Envoy NACK through today.
 * `map.no_sparse` cannot fail in proto3. `timestamp.*` is every TimestampRules field.
 */
export const SKIPPED_RULES: ReadonlySet<string> = new Set([
  ...['email', 'hostname', 'ip', 'ipv4', 'ipv6', 'uri', 'uri_ref', 'address', 'uuid'].map((r) => `string.${r}`),
  ...['const', 'pattern', 'prefix', 'suffix', 'contains', 'in', 'not_in', 'ip', 'ipv4', 'ipv6'].map((r) => `bytes.${r}`),
  'map.no_sparse',
  'timestamp.*',
]);

export interface RuleSource {
  /** `(validate.rules)` of a field, or undefined when it has none. */
  field(field: DescField): FieldRules | undefined;
  /** `(validate.required)` on a oneof. */
  oneofRequired(oneof: DescOneof): boolean;
  /** `(validate.disabled)` on a message: none of its rules (nor its fields') are checked. */
  disabled(message: DescMessage): boolean;
}

function cached<K, V>(compute: (key: K) => V): (key: K) => V {
  const memo = new Map<K, V>();
  return (key) => {
    if (!memo.has(key)) memo.set(key, compute(key));
    return memo.get(key)!;
  };
}

/** Reads PGV options through the registry holding validate.proto; absent extensions read as "no rules". */
export function createRuleSource(registry: Registry): RuleSource {
  const ext = (name: string) => registry.getExtension(name) as DescExtension | undefined;
  const rules = ext('validate.rules');
  const required = ext('validate.required');
  const disabled = ext('validate.disabled');
  return {
    field: cached((f: DescField) => {
      if (!rules || !hasOption(f, rules)) return undefined;
      const json = toJson(rules.message!, getOption(f, rules) as never, { registry, useProtoFieldName: true });
      return json as FieldRules;
    }),
    oneofRequired: cached((o: DescOneof) => !!required && hasOption(o, required) && getOption(o, required) === true),
    disabled: cached((m: DescMessage) => !!disabled && hasOption(m, disabled) && getOption(m, disabled) === true),
  };
}

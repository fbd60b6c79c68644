import { createFileRegistry, createRegistry, fromJson, getOption, hasOption, toJson, type DescMessage, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { envoyRegistry } from '../../test/support/envoy-registry';
import { SKIPPED_RULES, SUPPORTED_RULES } from './pgv-rules';
import { createRuleValidator } from './validate-rules';

const envoy = () => envoyRegistry().registry as FileRegistry;

/** Every `kind.rule` protoc-gen-validate defines (FieldRules' type oneof × each rules message's fields). */
function allPgvRules(): string[] {
  const fieldRules = envoy().getMessage('validate.FieldRules')!;
  return fieldRules.fields.flatMap((kind) => (kind.name === 'timestamp' ? ['timestamp.*'] : kind.message!.fields.map((r) => `${kind.name}.${r.name}`)));
}

/** Every `kind.rule` Envoy's protos use, nested item/key/value rules included. */
function rulesEnvoyUses(): Set<string> {
  const ext = envoy().getExtension('validate.rules')!;
  const used = new Set<string>();
  const add = (rules: Record<string, Record<string, unknown>>) => {
    for (const [kind, r] of Object.entries(rules)) {
      for (const [name, value] of Object.entries(r)) {
        used.add(kind === 'timestamp' ? 'timestamp.*' : `${kind}.${name}`);
        if (['items', 'keys', 'values'].includes(name)) add(value as never);
      }
    }
  };
  for (const t of envoy()) {
    if (t.kind !== 'message') continue;
    for (const f of t.fields) if (hasOption(f, ext)) add(toJson(ext.message!, getOption(f, ext) as never, { registry: envoy(), useProtoFieldName: true }) as never);
  }
  return used;
}

describe('which protoc-gen-validate rules are checked', () => {
  it('every rule PGV defines is either supported or explicitly skipped, never both', () => {
    const all = allPgvRules();
    expect(all.filter((r) => !SUPPORTED_RULES.has(r) && !SKIPPED_RULES.has(r))).toEqual([]);
    expect([...SUPPORTED_RULES].filter((r) => SKIPPED_RULES.has(r))).toEqual([]);
    expect([...SUPPORTED_RULES, ...SKIPPED_RULES].filter((r) => !all.includes(r))).toEqual([]);
  });

  it("Envoy's protos use only supported rules, so the skipped ones cannot hide a NACK", () => {
    const used = rulesEnvoyUses();
    expect([...used].filter((r) => SKIPPED_RULES.has(r))).toEqual([]);
    expect([...used].filter((r) => !SUPPORTED_RULES.has(r))).toEqual([]);
    // Sanity: the walk above did find the rules these protos are known for.
    for (const r of ['string.min_len', 'string.well_known_regex', 'uint32.lte', 'duration.gt', 'enum.defined_only', 'repeated.items', 'map.keys', 'any.required', 'message.required']) expect(used).toContain(r);
  });
});

/** A validator over one made-up message `pgvtest.T`, its fields given as FieldDescriptorProto JSON. */
function synthetic(fields: object[], messageOptions: object = {}) {
  const file = fromJson(
    FileDescriptorProtoSchema,
    {
      name: 'pgvtest.proto',
      package: 'pgvtest',
      syntax: 'proto3',
      dependency: ['validate/validate.proto', 'google/protobuf/duration.proto', 'google/protobuf/any.proto'],
      messageType: [
        { name: 'T', field: fields, options: messageOptions },
        { name: 'U', field: [{ name: 's', number: 1, type: 'TYPE_STRING', label: 'LABEL_OPTIONAL', options: { '[validate.rules]': { string: { min_len: 1 } } } }] },
      ],
    } as never,
    { registry: envoy() },
  );
  const registry = createRegistry(createFileRegistry(file, (name) => envoy().getFile(name)), envoy());
  const desc = registry.getMessage('pgvtest.T') as DescMessage;
  const validator = createRuleValidator(registry);
  return (json: object) => validator.validateMessage(desc, fromJson(desc, json as never, { registry }));
}

const field = (name: string, type: string, rules?: object, extra: object = {}) => ({ name, number: 1, type, label: 'LABEL_OPTIONAL', ...(rules ? { options: { '[validate.rules]': rules } } : {}), ...extra });

describe('rules Envoy does not use today (made-up messages)', () => {
  it('message.disabled turns every rule of the message off', () => {
    const f = field('s', 'TYPE_STRING', { string: { min_len: 1 } });
    expect(synthetic([f])({ s: '' })).toHaveLength(1);
    expect(synthetic([f], { '[validate.disabled]': true })({ s: '' })).toEqual([]);
  });

  it('message.skip stops the walk into a nested message', () => {
    const nested = (rules?: object) => synthetic([field('u', 'TYPE_MESSAGE', rules, { typeName: '.pgvtest.U' })]);
    expect(nested()({ u: { s: '' } })).toEqual([{ path: 'u.s', rule: 'string.min_len = 1', message: 'must be at least 1 character' }]);
    expect(nested({ message: { skip: true } })({ u: { s: '' } })).toEqual([]);
  });

  it('an upper bound below the lower bound means "outside the range", as in PGV', () => {
    const v = synthetic([field('i', 'TYPE_INT32', { int32: { lt: 10, gt: 20 } })]);
    expect(v({ i: 15 })).toEqual([{ path: 'i', rule: 'int32.lt = 10, gt = 20', message: 'must be less than 10 or greater than 20' }]);
    expect([...v({ i: 9 }), ...v({ i: 21 })]).toEqual([]);
  });

  it('const, in and not_in on numbers, with 64-bit values compared exactly', () => {
    const v = synthetic([field('n', 'TYPE_INT64', { int64: { in: ['9007199254740993', '1'] } })]);
    expect(v({ n: '9007199254740992' })).toEqual([{ path: 'n', rule: 'int64.in = [9007199254740993, 1]', message: 'must be one of [9007199254740993, 1]' }]);
    expect(v({ n: '9007199254740993' })).toEqual([]);
    const c = synthetic([field('n', 'TYPE_UINT32', { uint32: { const: 3, not_in: [3] } })]);
    expect(c({ n: 4 }).map((x) => x.rule)).toEqual(['uint32.const = 3']);
    expect(c({ n: 3 }).map((x) => x.rule)).toEqual(['uint32.not_in = [3]']);
  });

  it('string const, len, prefix, suffix, contains, not_contains and byte lengths', () => {
    const rules = { const: 'ab€', len: 3, len_bytes: 5, prefix: 'a', suffix: '€', contains: 'b', not_contains: 'x' };
    const v = synthetic([field('s', 'TYPE_STRING', { string: rules })]);
    expect(v({ s: 'ab€' })).toEqual([]);
    expect(v({ s: 'xbc' }).map((x) => x.rule)).toEqual(['string.const = "ab€"', 'string.len_bytes = 5', 'string.prefix = "a"', 'string.suffix = "€"', 'string.not_contains = "x"']);
  });

  it('ignore_empty skips the rules of an empty string; strict header names refuse spaces', () => {
    const v = synthetic([field('s', 'TYPE_STRING', { string: { well_known_regex: 'HTTP_HEADER_NAME', ignore_empty: true } })]);
    expect(v({ s: '' })).toEqual([]);
    expect(v({ s: 'x y' })).toEqual([{ path: 's', rule: 'string.well_known_regex = HTTP_HEADER_NAME', message: 'must be an HTTP header name' }]);
    expect(v({ s: ':authority' })).toEqual([]);
  });

  it('proto3 optional scalars are checked only when set', () => {
    const v = synthetic([field('s', 'TYPE_STRING', { string: { min_len: 2 } }, { proto3Optional: true })]);
    expect(v({})).toEqual([]);
    expect(v({ s: 'a' })).toEqual([{ path: 's', rule: 'string.min_len = 2', message: 'must be at least 2 characters' }]);
  });

  it('duration lt/lte/const, bytes lengths and bool const', () => {
    const d = synthetic([field('d', 'TYPE_MESSAGE', { duration: { lte: '1s', gte: '-1s' } }, { typeName: '.google.protobuf.Duration' })]);
    expect(d({ d: '1.000000001s' })).toEqual([{ path: 'd', rule: 'duration.lte = 1s', message: 'must be at most 1s' }]);
    expect(d({ d: '-1.5s' })).toEqual([{ path: 'd', rule: 'duration.gte = -1s', message: 'must be at least -1s' }]);
    expect([...d({ d: '1s' }), ...d({ d: '-1s' }), ...d({})]).toEqual([]);
    const b = synthetic([field('b', 'TYPE_BYTES', { bytes: { len: 2 } })]);
    expect(b({ b: 'AAAA' })).toEqual([{ path: 'b', rule: 'bytes.len = 2', message: 'must be exactly 2 bytes' }]);
    const t = synthetic([field('t', 'TYPE_BOOL', { bool: { const: true } })]);
    expect(t({ t: false })).toEqual([{ path: 't', rule: 'bool.const = true', message: 'must be true' }]);
  });

  it('any.in on the packed type URL', () => {
    const v = synthetic([field('a', 'TYPE_MESSAGE', { any: { in: ['type.googleapis.com/pgvtest.U'] } }, { typeName: '.google.protobuf.Any' })]);
    expect(v({ a: { '@type': 'type.googleapis.com/pgvtest.U', s: 'x' } })).toEqual([]);
    expect(v({ a: { '@type': 'type.googleapis.com/pgvtest.T' } })).toEqual([
      { path: 'a', rule: 'any.in = ["type.googleapis.com/pgvtest.U"]', message: 'must hold one of ["type.googleapis.com/pgvtest.U"]' },
    ]);
  });
});

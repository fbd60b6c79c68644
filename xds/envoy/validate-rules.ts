import type { DescEnum, DescField, DescMessage, Message, Registry } from '@bufbuild/protobuf';
import { reflect, type ReflectList, type ReflectMap, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import { anyUnpack, FeatureSet_FieldPresence, isWrapperDesc, type Any, type Duration } from '@bufbuild/protobuf/wkt';
import { decodeResource } from './decode';
import { checkAnyType, checkBool, checkBytes, checkDuration, checkEnum, checkNumber, checkString, type Failure } from './pgv-checks';
import { createRuleSource, NUMERIC_KINDS, type FieldRules } from './pgv-rules';

/** A rule of Envoy's protos that a resource breaks; Envoy would NACK the whole response for it. */
export interface Violation {
  /** Proto field names from the resource's root, as Envoy reports them: `filter_chains[0].filters[0].typed_config.stat_prefix`. */
  path: string;
  /** The rule as written in the proto: `string.min_len = 1`, `repeated.items.string.min_len = 1`, `oneof.required`. */
  rule: string;
  message: string;
}

export interface RuleValidator {
  /** Decodes a resource (proto3 JSON with `@type`) and checks it; an undecodable one is one `proto3_json` violation. */
  validate(json: Record<string, unknown>): Violation[];
  validateMessage(desc: DescMessage, message: Message): Violation[];
}

/** What a list element, map value or singular field holds. */
interface Element {
  kind: 'scalar' | 'enum' | 'message';
  enum?: DescEnum;
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);
const mapKey = (k: unknown) => (typeof k === 'string' ? JSON.stringify(k) : String(k));
const isOptionalScalar = (f: DescField) => (f.fieldKind === 'scalar' || f.fieldKind === 'enum') && f.presence === FeatureSet_FieldPresence.EXPLICIT;
const REQUIRED_KINDS = ['message', 'duration', 'any'] as const;

/** Value rules of a scalar or enum (the rule kind must match the field's type, as protoc-gen-validate ensures). */
function checkValue(rules: FieldRules | undefined, value: unknown, enumDesc?: DescEnum): Failure[] {
  if (!rules) return [];
  if (rules.string) return checkString(rules.string, value as string);
  if (rules.bytes) return checkBytes(rules.bytes, value as Uint8Array);
  if (rules.bool) return checkBool(rules.bool, value as boolean);
  if (rules.enum && enumDesc) return checkEnum(rules.enum, value as number, enumDesc);
  const kind = NUMERIC_KINDS.find((k) => rules[k]);
  return kind ? checkNumber(kind, rules[kind]!, value as number | bigint) : [];
}

/**
 * Checks messages against the protoc-gen-validate rules in their descriptors, recursing into
 * nested messages, lists, maps and Anys (unpacked through `registry`). Rule kinds it does not check
 * are listed in SKIPPED_RULES.
 */
export function createRuleValidator(registry: Registry): RuleValidator {
  const source = createRuleSource(registry);

  const push = (out: Violation[], path: string, prefix: string, failures: Failure[]) => {
    for (const f of failures) out.push({ path, rule: prefix + f.rule, message: f.message });
  };

  function walk(m: ReflectMessage, path: string, out: Violation[]): void {
    if (source.disabled(m.desc)) return;
    for (const oneof of m.oneofs) {
      if (source.oneofRequired(oneof) && !m.oneofCase(oneof)) out.push({ path: join(path, oneof.name), rule: 'oneof.required', message: `one of ${oneof.fields.map((f) => f.name).join(', ')} must be set` });
    }
    for (const f of m.fields) {
      // PGV checks only the member of a oneof that is set, and proto3 `optional` scalars only when set.
      if (f.oneof ? m.oneofCase(f.oneof) !== f : isOptionalScalar(f) && !m.isSet(f)) continue;
      const rules = source.field(f);
      const p = join(path, f.name);
      if (f.fieldKind === 'list') walkList(m.get(f) as ReflectList, f, rules, p, out);
      else if (f.fieldKind === 'map') walkMap(m.get(f) as ReflectMap, f, rules, p, out);
      else if (f.fieldKind === 'message') {
        if (m.isSet(f)) element(m.get(f), { kind: 'message' }, rules, p, '', out);
        else {
          const kind = REQUIRED_KINDS.find((k) => rules?.[k]?.required === true);
          if (kind) out.push({ path: p, rule: `${kind}.required`, message: 'is required' });
        }
      } else element(m.get(f), { kind: f.fieldKind, ...(f.fieldKind === 'enum' ? { enum: f.enum } : {}) }, rules, p, '', out);
    }
  }

  function element(value: unknown, el: Element, rules: FieldRules | undefined, path: string, prefix: string, out: Violation[]): void {
    if (el.kind !== 'message') return push(out, path, prefix, checkValue(rules, value, el.enum));
    const m = value as ReflectMessage;
    const name = m.desc.typeName;
    if (name === 'google.protobuf.Duration') return push(out, path, prefix, rules?.duration ? checkDuration(rules.duration, m.message as Duration) : []);
    if (isWrapperDesc(m.desc)) return push(out, path, prefix, checkValue(rules, m.get(m.fields[0]!)));
    if (rules?.message?.skip === true) return;
    if (name === 'google.protobuf.Any') {
      const any = m.message as Any;
      if (rules?.any) push(out, path, prefix, checkAnyType(rules.any, any.typeUrl));
      const inner = anyUnpack(any, registry);
      const desc = inner && registry.getMessage(inner.$typeName);
      if (inner && desc) walk(reflect(desc, inner), path, out);
      return;
    }
    // Well-known types (Struct, Timestamp, Empty, …) carry no PGV rules.
    if (!name.startsWith('google.protobuf.')) walk(m, path, out);
  }

  function walkList(list: ReflectList, f: DescField & { fieldKind: 'list' }, rules: FieldRules | undefined, path: string, out: Violation[]): void {
    const r = rules?.repeated;
    if (r?.min_items !== undefined && list.size < Number(r.min_items)) out.push({ path, rule: `repeated.min_items = ${r.min_items}`, message: `must have at least ${r.min_items} item${r.min_items === '1' ? '' : 's'}` });
    if (r?.max_items !== undefined && list.size > Number(r.max_items)) out.push({ path, rule: `repeated.max_items = ${r.max_items}`, message: `must have at most ${r.max_items} item${r.max_items === '1' ? '' : 's'}` });
    const values = [...list];
    if (r?.unique === true && f.listKind !== 'message' && new Set(values.map(String)).size !== values.length) out.push({ path, rule: 'repeated.unique', message: 'must not repeat an item' });
    const el: Element = { kind: f.listKind, ...(f.listKind === 'enum' ? { enum: f.enum } : {}) };
    values.forEach((v, i) => element(v, el, r?.items as FieldRules | undefined, `${path}[${i}]`, 'repeated.items.', out));
  }

  function walkMap(map: ReflectMap, f: DescField & { fieldKind: 'map' }, rules: FieldRules | undefined, path: string, out: Violation[]): void {
    const r = rules?.map;
    if (r?.min_pairs !== undefined && map.size < Number(r.min_pairs)) out.push({ path, rule: `map.min_pairs = ${r.min_pairs}`, message: `must have at least ${r.min_pairs} entr${r.min_pairs === '1' ? 'y' : 'ies'}` });
    if (r?.max_pairs !== undefined && map.size > Number(r.max_pairs)) out.push({ path, rule: `map.max_pairs = ${r.max_pairs}`, message: `must have at most ${r.max_pairs} entr${r.max_pairs === '1' ? 'y' : 'ies'}` });
    const el: Element = { kind: f.mapKind, ...(f.mapKind === 'enum' ? { enum: f.enum } : {}) };
    for (const [k, v] of map) {
      const p = `${path}[${mapKey(k)}]`;
      push(out, p, 'map.keys.', checkValue(r?.keys as FieldRules | undefined, k));
      element(v, el, r?.values as FieldRules | undefined, p, 'map.values.', out);
    }
  }

  const validateMessage = (desc: DescMessage, message: Message) => {
    const out: Violation[] = [];
    walk(reflect(desc, message), '', out);
    return out;
  };
  return {
    validateMessage,
    validate(json) {
      let decoded;
      try {
        decoded = decodeResource(registry, json);
      } catch (err) {
        return [{ path: '', rule: 'proto3_json', message: (err as Error).message }];
      }
      return validateMessage(decoded.desc, decoded.message);
    },
  };
}

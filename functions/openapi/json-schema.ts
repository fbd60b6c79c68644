import { z } from 'zod';

/** A JSON Schema 2020-12 object (OpenAPI 3.1's dialect), as zod emits it. */
export type JsonSchema = Record<string, unknown>;
export type Side = 'input' | 'output';

const COMPONENTS = '#/components/schemas/';
const DEFS = '#/$defs/';
/** OpenAPI component names: letters, digits, `.`, `-`, `_`. */
const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * zod's global registry (descriptions, `x-istio-unsupported`, `.meta({id})` set by features) with
 * component names laid over it for schemas that are not ours to annotate (xds/intent's kinds).
 */
class ComponentNames extends z.core.$ZodRegistry<Record<string, unknown>> {
  constructor(private readonly names: ReadonlyMap<z.core.$ZodType, string>) {
    super();
  }
  override get(schema: z.core.$ZodType): Record<string, unknown> | undefined {
    const base = z.globalRegistry.get(schema);
    const id = this.names.get(schema);
    return id ? { ...base, id } : base;
  }
}

/**
 * Turns zod schemas into OpenAPI 3.1 schemas with z.toJSONSchema. Every schema with an id (a component
 * name given here, or `.meta({id})`) becomes one entry of `components.schemas`, referenced everywhere
 * else. Requests are converted as zod's input, responses as its output; where the two differ
 * (transforms, e.g. protocols upper-cased), the input side is a second component named `<id>Input`.
 * Unrepresentable schemas (transforms' output, dates, custom types) throw: nothing is quietly `{}`.
 */
export class SchemaConverter {
  private readonly registry: ComponentNames;
  private readonly defs: Record<Side, Map<string, JsonSchema>> = { input: new Map(), output: new Map() };

  constructor(names: ReadonlyMap<z.core.$ZodType, string> = new Map()) {
    for (const name of names.values()) if (!COMPONENT_NAME.test(name)) throw new Error(`component name "${name}" is not a valid OpenAPI component name`);
    this.registry = new ComponentNames(names);
  }

  /** The schema for one side, with refs to `#/components/schemas/` (settled by finish()). */
  convert(schema: z.ZodType, side: Side): JsonSchema {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: side, metadata: this.registry, unrepresentable: 'throw', cycles: 'ref', reused: 'inline' }) as JsonSchema;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      // zod names an unnamed cycle __schemaN per conversion: such names would clash once hoisted.
      if (id.startsWith('__schema')) throw new Error(`a recursive schema has no id; give it one with .meta({ id }) so it can be a component`);
      const known = this.defs[side].get(id);
      if (known && JSON.stringify(known) !== JSON.stringify(def)) throw new Error(`two different schemas are both named "${id}"`);
      this.defs[side].set(id, def);
    }
    if (JSON.stringify(root).includes('"$ref":"#"')) throw new Error('a recursive schema refers to its root without an id; give it one with .meta({ id })');
    return this.relink(root, side);
  }

  /** Ids whose input side gets its own component: it differs from the output side, or refers to one that does. */
  private inputOnly(): Set<string> {
    const { input, output } = this.defs;
    const differs = new Set([...input].filter(([id, def]) => output.has(id) && JSON.stringify(def) !== JSON.stringify(output.get(id))).map(([id]) => id));
    for (let grew = true; grew; ) {
      grew = false;
      for (const [id, def] of input) {
        if (differs.has(id) || !output.has(id)) continue;
        const text = JSON.stringify(def);
        if ([...differs].some((d) => text.includes(`"${DEFS}${d}"`))) {
          differs.add(id);
          grew = true;
        }
      }
    }
    return differs;
  }

  /** Refs to `#/$defs/<id>` become `#/components/schemas/<id>@<side>`: '@' cannot occur in a name, finish() settles it. */
  private relink(schema: JsonSchema, side: Side): JsonSchema {
    return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/\$defs\/([^"]+)"/g, (_, id: string) => `"$ref":"${COMPONENTS}${id}@${side}"`));
  }

  /** Every component, and `resolve` to finalise the refs in schemas convert() returned. Call after the last convert(). */
  finish(): { components: Record<string, JsonSchema>; resolve: <T>(value: T) => T } {
    const differs = this.inputOnly();
    const nameOf = (id: string, side: Side) => (side === 'input' && differs.has(id) ? `${id}Input` : id);
    const resolve = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value).replace(/"#\/components\/schemas\/([^"@]+)@(input|output)"/g, (_, id: string, side: Side) => `"${COMPONENTS}${nameOf(id, side)}"`));
    const components: Record<string, JsonSchema> = {};
    for (const side of ['output', 'input'] as const) {
      for (const [id, def] of this.defs[side]) components[nameOf(id, side)] ??= resolve(this.relink(def, side));
    }
    return { components: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))), resolve };
  }
}

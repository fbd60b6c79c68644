type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Protobuf merge (Go's proto.Merge, which Istio's MERGE uses) on proto3 JSON: messages merge
 * recursively, repeated fields append, scalars are replaced. In JSON a Duration or wrapper is a
 * scalar, so it is replaced whole (Istio's fork of proto.Merge does the same for durations). An Any
 * merges its fields when `@type` is the same (Istio unpacks and merges an HTTP filter's
 * typed_config) and is replaced otherwise. Maps and Structs are JSON objects here, so their
 * entries merge too (Go replaces a map entry whole). Returns a new value; neither input changes.
 */
export function protoMerge(dst: Json, src: Json): Json {
  const out: Json = { ...dst };
  for (const [key, value] of Object.entries(src)) {
    const current = out[key];
    if (Array.isArray(value)) out[key] = [...(Array.isArray(current) ? current : []), ...structuredClone(value)];
    else if (isObject(value) && isObject(current) && sameAnyType(current, value)) out[key] = protoMerge(current, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

/** Two messages, or two Anys of the same type (an Any names its type in `@type`). */
function sameAnyType(a: Json, b: Json): boolean {
  return !('@type' in b) || a['@type'] === b['@type'];
}

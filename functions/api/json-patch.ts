import { applyOperation, JsonPatchError, type Operation } from 'fast-json-patch';
import { badRequest } from '../http/problem';

/** Which member of an operation fast-json-patch's error is about. */
const FIELD_OF_ERROR: Record<string, string> = {
  OPERATION_NOT_AN_OBJECT: '',
  OPERATION_OP_INVALID: 'op',
  OPERATION_FROM_REQUIRED: 'from',
  OPERATION_FROM_UNRESOLVABLE: 'from',
  OPERATION_VALUE_REQUIRED: 'value',
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: 'value',
  TEST_OPERATION_FAILED: 'value',
};

/** Pointers JavaScript would resolve through an object's prototype rather than its data (fast-json-patch's ban). */
const PROTOTYPE_POINTER = /(^|\/)(__proto__|constructor\/prototype)(\/|$)/;

const refuse = (index: number, field: string, message: string) =>
  badRequest(`invalid JSON patch: operation ${index}: ${message}`, [{ path: field ? `[${index}].${field}` : `[${index}]`, message }]);

/** Checks RFC 6902 asks of an operation that fast-json-patch's validator leaves to its apply step. */
function checkOperation(op: Operation, index: number): void {
  for (const field of ['path', 'from'] as const) {
    const pointer: unknown = (op as Partial<Record<typeof field, unknown>>)[field];
    if (typeof pointer === 'string' && PROTOTYPE_POINTER.test(pointer)) throw refuse(index, field, `"${pointer}" goes through "__proto__" or "constructor/prototype", which are not data`);
  }
  // RFC 6902 §4.4: "The 'from' location MUST NOT be a proper prefix of the 'path' location".
  if (op.op === 'move' && typeof op.path === 'string' && typeof op.from === 'string' && op.path.startsWith(`${op.from}/`)) throw refuse(index, 'path', `a value cannot be moved into one of its own children ("${op.from}" is a prefix of "${op.path}")`);
}

/**
 * RFC 6902 JSON Patch applied to a copy of `document`, one operation at a time, so that any operation
 * that cannot apply is a 400 naming it (`[2].path`), never an exception after validation.
 */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('invalid JSON patch: a JSON patch is an array of operations', [{ path: '', message: 'expected an array of operations' }]);
  let result = structuredClone(document);
  patch.forEach((op: Operation, index) => {
    if (op && typeof op === 'object') checkOperation(op, index);
    try {
      result = applyOperation(result, op, true, true, true, index).newDocument;
    } catch (err) {
      if (err instanceof JsonPatchError) throw refuse(index, FIELD_OF_ERROR[err.name] ?? 'path', err.message.split('\n')[0]!);
      // fast-json-patch throws plain errors for a path it cannot walk (through a string, say).
      throw refuse(index, 'path', 'cannot be applied to this object');
    }
  });
  return result;
}

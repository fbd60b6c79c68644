import { compare } from 'fast-json-patch';

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** A patch, or only its length when it is too long to send (see boundedPatch). */
export interface BoundedPatch {
  patch?: JsonPatchOperation[];
  patchOps?: number;
}

/** An intent object as the edge stores and compares it: server metadata dropped, empty labels and annotations left out. */
export interface ComparableObject {
  apiVersion: unknown;
  kind: unknown;
  metadata: { name: unknown; namespace: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
  spec: unknown;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a stored object and a manifest object are compared on, in the shape (and key order) the edge
 * rebuilds a stored row in: apiVersion, kind, metadata (name, namespace, labels, annotations), spec.
 */
export function comparableObject(object: unknown, defaultNamespace = 'default'): ComparableObject {
  const o = isRecord(object) ? object : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const metadata: ComparableObject['metadata'] = { name: meta.name, namespace: meta.namespace ?? defaultNamespace };
  if (isRecord(meta.labels) && Object.keys(meta.labels).length) metadata.labels = meta.labels;
  if (isRecord(meta.annotations) && Object.keys(meta.annotations).length) metadata.annotations = meta.annotations;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

/** The RFC 6902 patch from one object to another as both compare (comparableObject), a `test` of the old value before each replace and remove. */
export const patchBetween = (before: unknown, after: unknown): JsonPatchOperation[] =>
  // compare() yields only add, remove, replace and (invertible) test operations.
  compare(comparableObject(before), comparableObject(after), true) as JsonPatchOperation[];

/** A patch, or its length when it is past `maxOps` (a bounded answer). */
export function boundedPatch(from: object, to: object, maxOps: number): BoundedPatch {
  const patch = compare(from, to) as JsonPatchOperation[];
  return patch.length > maxOps ? { patchOps: patch.length } : { patch };
}

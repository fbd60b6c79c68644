import { describe, expect, it } from 'vitest';
import { parseManifest, parseObjectBody } from './manifest';

const MULTI = `# bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
---
# an empty document above and a comment-only one below are skipped
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  labels:
    feature: on
    enabled: yes
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
`;

describe('parseManifest', () => {
  it('splits multi-document YAML, skipping empty documents, with YAML 1.2 scalars', () => {
    const result = parseManifest(MULTI, 'application/yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.documents.map((d) => (d as { kind: string }).kind)).toEqual(['VirtualService', 'DestinationRule']);
    // YAML 1.1 would read these as booleans; Kubernetes label values must stay strings.
    expect((result.documents[1] as { metadata: unknown }).metadata).toEqual({ name: 'reviews', labels: { feature: 'on', enabled: 'yes' } });
  });

  it('reads a JSON array and a JSON List', () => {
    const a = { kind: 'Gateway', metadata: { name: 'a' } };
    const b = { kind: 'Gateway', metadata: { name: 'b' } };
    expect(parseManifest(JSON.stringify([a, b]), 'application/json')).toEqual({ ok: true, documents: [a, b] });
    expect(parseManifest(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [a, b] }), 'application/json; charset=utf-8')).toEqual({ ok: true, documents: [a, b] });
    expect(parseManifest(JSON.stringify(a), 'application/json')).toEqual({ ok: true, documents: [a] });
  });

  it('expands a YAML List too', () => {
    const result = parseManifest('apiVersion: v1\nkind: List\nitems:\n- kind: Gateway\n- kind: VirtualService\n', 'application/yaml');
    expect(result).toEqual({ ok: true, documents: [{ kind: 'Gateway' }, { kind: 'VirtualService' }] });
  });

  it('reports malformed YAML with its line and column', () => {
    expect(parseManifest('kind: Gateway\n---\nmetadata:\n  name: a\n name: b\n', 'application/yaml')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid YAML: All mapping items must start at the same column at line 5, column 1' }],
    });
  });

  it('refuses duplicate YAML keys', () => {
    expect(parseManifest('kind: Gateway\nkind: VirtualService\n', 'application/yaml')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid YAML: Map keys must be unique at line 2, column 1' }],
    });
  });

  it('refuses unknown YAML tags', () => {
    expect(parseManifest('kind: !secret Gateway\n', 'application/yaml')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid YAML: Unresolved tag: !secret at line 1, column 7' }],
    });
  });

  it('reports malformed JSON with its line and column', () => {
    expect(parseManifest('[\n  {"kind": "Gateway",}\n]', 'application/json')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid JSON at line 2, column 22: expected a double-quoted property name, got "}"' }],
    });
    expect(parseManifest('{"kind": tru}', 'application/json')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid JSON at line 1, column 10: expected a value, got "t"' }],
    });
  });

  it('reports truncated JSON and an unterminated string', () => {
    expect(parseManifest('{"kind": "Gateway"', 'application/json')).toEqual({
      ok: false,
      errors: [{ path: '', message: "invalid JSON at line 1, column 19: expected ',' or '}', got the end of the text" }],
    });
    expect(parseManifest('{"kind": "Gate\nway"}', 'application/json')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid JSON at line 1, column 15: expected a closing quote, got "\\n"' }],
    });
  });

  it('refuses a JSON scalar and an unknown content type', () => {
    expect(parseManifest('42', 'application/json')).toEqual({ ok: false, errors: [{ path: '', message: 'expected an object or an array of objects, got number 42' }] });
    expect(parseManifest('<a/>', 'application/xml')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'unsupported content type "application/xml"; send application/json or application/yaml' }],
    });
  });
});

describe('parseObjectBody', () => {
  it('reads one JSON or YAML object', () => {
    expect(parseObjectBody('{"kind":"Gateway"}', 'application/json')).toEqual({ ok: true, object: { kind: 'Gateway' } });
    expect(parseObjectBody('---\nkind: Gateway\n', 'application/yaml')).toEqual({ ok: true, object: { kind: 'Gateway' } });
  });

  it('refuses several documents, an array and a scalar', () => {
    expect(parseObjectBody('kind: A\n---\nkind: B\n', 'application/yaml')).toEqual({ ok: false, errors: [{ path: '', message: 'expected exactly one object, got 2 documents' }] });
    expect(parseObjectBody('[{}]', 'application/json')).toEqual({ ok: false, errors: [{ path: '', message: 'expected an object, got array' }] });
    expect(parseObjectBody('hello', 'application/yaml')).toEqual({ ok: false, errors: [{ path: '', message: 'expected an object, got string "hello"' }] });
  });
});

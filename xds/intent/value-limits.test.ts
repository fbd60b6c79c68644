import { describe, expect, it } from 'vitest';
import { parseManifest, parseObjectBody } from './manifest';
import { checkValueLimits, MAX_NESTING_DEPTH, MAX_OBJECT_JSON_BYTES } from './value-limits';

const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);

describe('limits checked on every parsed body before any recursive walk', () => {
  it(`takes ${MAX_NESTING_DEPTH} levels of nesting and refuses the next, naming where`, () => {
    expect(checkValueLimits(JSON.parse(nested(MAX_NESTING_DEPTH)))).toBeUndefined();
    const problem = checkValueLimits(JSON.parse(nested(MAX_NESTING_DEPTH + 1)));
    expect(problem?.message).toBe('nested more than 100 levels deep (objects and arrays); the limit is 100');
    expect(problem?.path).toBe(Array(MAX_NESTING_DEPTH).fill('a').join('.'));
  });

  it('refuses 100,000 levels without running out of stack', () => {
    expect(parseObjectBody(`{"spec":${nested(100_000)}}`, 'application/json')).toMatchObject({ ok: false, errors: [{ path: expect.stringMatching(/^spec(\.a){99}$/) }] });
  });

  it('refuses "__proto__" as a key anywhere, in JSON and in YAML', () => {
    expect(parseObjectBody('{"metadata":{"labels":{"__proto__":"x"}}}', 'application/json')).toEqual({ ok: false, errors: [{ path: 'metadata.labels.__proto__', message: '"__proto__" is not allowed as a key' }] });
    expect(parseManifest('kind: ServiceEntry\nspec:\n  endpoints:\n  - {address: 10.0.0.1}\n  - {address: 10.0.0.2}\n  - ports: {__proto__: 80}\n', 'application/yaml')).toEqual({ ok: false, errors: [{ path: '[0].spec.endpoints[2].ports.__proto__', message: '"__proto__" is not allowed as a key' }] });
  });

  it('refuses YAML whose aliases expand past the object size limit, however few they are', () => {
    const anchor = 'x'.repeat(100 * 1024);
    const yaml = `kind: ServiceEntry\nmetadata:\n  annotations:\n    a: &big "${anchor}"\n${Array.from({ length: 90 }, (_, i) => `    b${i}: *big`).join('\n')}\n`;
    expect(parseManifest(yaml, 'application/yaml')).toEqual({ ok: false, errors: [{ path: '[0]', message: `larger than ${MAX_OBJECT_JSON_BYTES} bytes as JSON (YAML aliases expanded); the limit is ${MAX_OBJECT_JSON_BYTES} bytes per object` }] });
    expect(parseManifest(yaml.split('\n').slice(0, 10).join('\n'), 'application/yaml').ok).toBe(true);
  });

  it('stops a billion laughs at the size budget', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const started = Date.now();
    expect(parseManifest(levels.join('\n'), 'application/yaml').ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_RE2_PROGRAM_SIZE, re2Problem, re2ProgramSize } from './regex';

// RE2's own ProgramSize() for each pattern, printed by a C++ program linked with libre2 (Debian's 20220601).
const RE2_SIZES: [string, number][] = [
  ['a', 5],
  ['abcdefghij', 14],
  ['ab|cd', 8],
  ['(a)', 7],
  ['^a', 4],
  ['.', 12],
  ['.*', 12],
  ['[^/]', 12],
  ['[a-z0-9]', 6],
  ['é', 6],
  ['(?i)abc', 7],
  ['x.*y.*z', 23],
  ['^/api/.*', 12],
  ['^/v[0-9]+/.*$', 15],
  ['^/v1/.*/status$', 19],
  ['\\d{3}-\\d{4}', 12],
  ['user-agent: .*Mobile.*', 38],
  ['.*\\.(jpg|png|gif|css|js)$', 29],
  ['^/api/v[0-9]+/(users|orders|items)/[0-9a-f]{8}-[0-9a-f]{4}$', 51],
  ['(foo|bar|baz|qux|quux|corge|grault|garply|waldo|fred|plugh|xyzzy|thud)', 57],
  ['/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*/asdf/.*', 144],
  // Envoy refused this one with "RE2 program size of 106 > max program size of 100".
  ['^/user/(488/sms|h5/getJwt|captcha|version/getAIDrawTemplate|version/isMainLand|version/promotionTemplate|version/activityTemplate2).*', 106],
  ['/static/[a-zA-Z0-9._-]{0,200}/', 1013],
];

describe('regexes as Envoy compiles them (RE2)', () => {
  it.each(['\\Z', '\\e', '\\G', '\\K', '\\R', '\\X', '\\h', '\\N{DIGIT ONE}', 'a{1001}', '[[:foo:]]', '\\g1', '(?=a)', '(?<=a)b', '\\1', '/api/('])('refuses %s, which RE2 does not parse', (pattern) => {
    expect(re2Problem(pattern)).toMatch(/^not an RE2 regular expression: /);
  });

  it.each(['\\Qa.b*c\\E', '(?P<id>[0-9]+)', '[[:alpha:]]+', '(?i)^/admin/.*', '\\pL', '^/v[0-9]+/.*', '\\x{10FFFF}', '(?s).'])('accepts %s, which RE2 parses', (pattern) => {
    expect(re2Problem(pattern) ?? '').not.toMatch(/^not an RE2/);
  });

  it.each(RE2_SIZES)('estimates the program size of %s within 10%% of RE2 (%i)', (pattern, size) => {
    expect(Math.abs(re2ProgramSize(pattern) - size) / size).toBeLessThanOrEqual(0.1);
  });

  it("refuses a program over Envoy's default limit of 100, naming the size and the runtime key", () => {
    expect(MAX_RE2_PROGRAM_SIZE).toBe(100);
    expect(re2Problem(RE2_SIZES.at(-2)![0])).toMatch(/^RE2 program size of about 1\d\d is over Envoy's limit of 100 \(re2\.max_program_size\.error_level\)/);
    expect(re2Problem('^/api/v[0-9]+/(users|orders|items)/[0-9a-f]{8}-[0-9a-f]{4}$')).toBeUndefined();
  });
});

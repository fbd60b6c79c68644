// Envoy matches with Google RE2. JavaScript has no RE2, so this approximates: it rejects the features RE2
// lacks (lookaround, backreferences) and anything JavaScript cannot compile once RE2-only syntax is mapped.
const LOOKAROUND = /\(\?<?[=!]/;
const BACKREFERENCE = /\\[1-9]|\\k</;
// RE2's flag groups "(?i)" / "(?i:" and Python-style named groups "(?P<name>" have no direct JS spelling.
const RE2_FLAGS = /\(\?[imsU-]+\)|\(\?[imsU-]+:/g;
const PYTHON_NAMED_GROUP = /\(\?P</g;

/** Why `pattern` is not a usable RE2 expression, or `undefined` when it looks fine. */
export function re2Problem(pattern: string): string | undefined {
  if (LOOKAROUND.test(pattern)) return 'lookahead and lookbehind are not supported by RE2';
  if (BACKREFERENCE.test(pattern)) return 'backreferences are not supported by RE2';
  const js = pattern.replace(RE2_FLAGS, (m) => (m.endsWith(':') ? '(?:' : '')).replace(PYTHON_NAMED_GROUP, '(?<');
  for (const flags of ['u', '']) {
    try {
      new RegExp(js, flags);
      return undefined;
    } catch {
      // try the next flavour
    }
  }
  try {
    new RegExp(js, 'u');
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  return undefined;
}

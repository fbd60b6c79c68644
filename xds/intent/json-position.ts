// JSON.parse's messages do not always carry a position ("Unexpected token '}', ... is not valid JSON"), so a
// failed parse is re-scanned by this small recogniser to find where the text stops being JSON.

class Stop {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {}
}

/** Where and why a text is not JSON. */
export interface JsonSyntaxError {
  offset: number;
  /** What the grammar expected there, e.g. `',' or '}'`. */
  expected: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The first place at which `text` stops being valid JSON, or `undefined` when it is valid. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    throw new Stop(i, expected);
  };
  const ws = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') fail('a closing quote');
      if (c === '"') return void i++;
      if (c !== '\\') {
        i++;
        continue;
      }
      const e = text[++i];
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
      else if (e === 'u' && HEX4.test(text.slice(i + 1, i + 5))) i += 5;
      else fail('an escape sequence');
    }
  };
  const sequence = (close: string, item: () => void) => {
    i++; // opening bracket
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail(`',' or '${close}'`);
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      return sequence('}', () => {
        ws();
        if (text[i] !== '"') fail('a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        value();
      });
    }
    if (c === '[') return sequence(']', value);
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) fail('a value');
    i = NUMBER.lastIndex;
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the text');
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, expected: error.expected };
    if (error instanceof RangeError) return { offset: 0, expected: 'less deeply nested JSON' };
    throw error;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
